#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Verifies access tokens by every rule of docs/security.md#access-token-verification, for the server and for other
/// services alike.
///
/// Everything happens here, on the raw token: the size and shape, the header (`alg` from our
/// key, never from the token; no embedded keys; a known `kid`, no fallback; `typ`; `crit`), and
/// every claim, all before the signature is checked with swift-crypto against the one key the
/// `kid` names. The claims returned are read from the JSON already checked, never decoded twice.
public struct AccessTokenVerifier: Sendable {
    /// What a valid token must say.
    public struct Policy: Sendable {
        /// `iss` must equal this exactly.
        public var issuer: String
        /// `aud` must contain at least one of these.
        public var audiences: Set<String>
        /// Clock skew tolerated on `exp`, `nbf` and `iat` (at most 60 s).
        public var leeway: Duration
        /// The longest `exp - iat` accepted.
        public var maximumLifetime: Duration

        /// Creates a policy.
        public init(issuer: String, audiences: Set<String>, leeway: Duration = .seconds(30), maximumLifetime: Duration = .seconds(3600)) {
            self.issuer = issuer
            self.audiences = audiences
            self.leeway = min(leeway, .seconds(60))
            self.maximumLifetime = maximumLifetime
        }
    }

    /// The rules in force.
    public let policy: Policy

    /// Creates a verifier.
    public init(policy: Policy) {
        self.policy = policy
    }

    /// The token's claims, or the reason it is refused.
    /// - Parameters:
    ///   - token: the compact JWS, as received.
    ///   - keys: the keys held for access tokens, by `kid`.
    ///   - now: the time to judge expiry by.
    public func verify(_ token: String, keys: [String: VerificationKey], now: Date) async throws(TokenRejection) -> AccessTokenClaims {
        let candidate = try inspect(token, now: now)
        return try await verifySignature(of: candidate, with: keys[candidate.keyID])
    }

    /// Every check that needs no key (docs/security.md#access-token-verification): size and shape, the header apart from
    /// the key lookup, and every claim. Services that fetch keys on demand call this first, so a
    /// token that fails here never causes a key fetch.
    public func inspect(_ token: String, now: Date) throws(TokenRejection) -> UnverifiedAccessToken {
        let jws = try CompactJWS(token)
        let (keyID, algorithm) = try Self.checkHeader(jws.header)
        try checkClaims(jws.payload, now: now)
        return UnverifiedAccessToken(
            token: token,
            keyID: keyID,
            algorithm: algorithm,
            payload: jws.payload,
            signingInput: jws.signingInput,
            signature: jws.signature
        )
    }

    /// Checks `candidate`'s signature with `key`, the key its `kid` names (`nil` when no key has
    /// that `kid`: refused, never replaced by a default).
    public func verifySignature(of candidate: UnverifiedAccessToken, with key: VerificationKey?) async throws(TokenRejection) -> AccessTokenClaims {
        // The key must be the one named: never a default, never another key that happens to fit.
        guard let key, key.kid == candidate.keyID else { throw .unknownKey }
        guard candidate.algorithm == key.algorithm.rawValue else { throw .algorithm }
        guard key.isValidSignature(candidate.signature, for: candidate.signingInput) else { throw .signature }
        return AccessTokenClaims(checked: candidate.payload)
    }

    /// The header rules (docs/security.md#access-token-verification); returns the `kid` and `alg` the header names.
    static func checkHeader(_ header: [String: JSONValue]) throws(TokenRejection) -> (keyID: String, algorithm: String) {
        for field in ["jwk", "jku", "x5u", "x5c"] where header[field] != nil { throw .forbiddenHeader }
        guard let alg = header["alg"]?.string, alg.lowercased() != "none" else { throw .algorithm }
        guard header["crit"] == nil else { throw .critical }
        guard let typ = header["typ"]?.string, ["at+jwt", "application/at+jwt"].contains(typ.lowercased()) else { throw .type }
        guard let kid = header["kid"]?.string, !kid.isEmpty else { throw .unknownKey }
        return (kid, alg)
    }

    /// The claim rules (docs/security.md#access-token-verification), on the raw JSON so nothing malformed reaches a decoder.
    func checkClaims(_ claims: [String: JSONValue], now: Date) throws(TokenRejection) {
        for name in ["sub", "jti", "sid"] {
            guard let value = claims[name]?.string, !value.isEmpty else { throw .claims }
        }
        if let clientID = claims["client_id"], clientID.string == nil { throw .claims }
        if let verified = claims["email_verified"], verified.bool == nil { throw .claims }
        for name in ["roles", "amr"] {
            guard let list = claims[name] else { continue }
            guard case .array(let items) = list, items.allSatisfy({ $0.string != nil }) else { throw .claims }
        }
        if let authTime = claims["auth_time"] {
            // A whole number of seconds a 64-bit integer holds exactly (2^53), never after the token.
            guard let seconds = authTime.number, seconds.rounded() == seconds, abs(seconds) <= 9_007_199_254_740_992 else { throw .claims }
            if let iat = claims["iat"]?.number, seconds > iat + Double(policy.leeway.components.seconds) { throw .claims }
        }
        guard let exp = claims["exp"]?.number, let iat = claims["iat"]?.number else { throw .claims }
        if let nbf = claims["nbf"], nbf.number == nil { throw .claims }

        guard claims["iss"]?.string == policy.issuer else { throw .issuer }
        let audiences: [String]
        switch claims["aud"] {
        case .string(let single)?: audiences = [single]
        case .array(let items)? where !items.isEmpty && items.allSatisfy({ $0.string != nil }): audiences = items.compactMap(\.string)
        default: throw .audience
        }
        guard audiences.contains(where: policy.audiences.contains) else { throw .audience }

        let current = now.timeIntervalSince1970
        let leeway = Double(policy.leeway.components.seconds)
        guard exp > current - leeway else { throw .expired }
        guard iat <= current + leeway, (claims["nbf"]?.number ?? iat) <= current + leeway else { throw .notYetValid }
        guard exp - iat <= Double(policy.maximumLifetime.components.seconds) else { throw .lifetime }
    }
}

/// A token that passed every check of ``AccessTokenVerifier`` except its signature.
public struct UnverifiedAccessToken: Sendable {
    /// The token as received.
    public let token: String
    /// The `kid` its header names.
    public let keyID: String
    /// The `alg` its header names; it must equal the named key's algorithm.
    public let algorithm: String
    /// The claims, parsed by the strict parser.
    let payload: [String: JSONValue]
    /// What the signature covers.
    let signingInput: [UInt8]
    /// The signature, decoded.
    let signature: [UInt8]

    /// The `scope` claim's space-separated values (RFC 9068 §2.2.3), empty when absent.
    public var scopes: Set<String> {
        guard let scope = payload["scope"]?.string else { return [] }
        return Set(scope.split(separator: " ").map(String.init))
    }
}
