import Crypto
import CryptoExtras

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A key that checks signatures of one algorithm under one `kid`, with swift-crypto directly.
public struct VerificationKey: Sendable {
    /// The key id.
    public let kid: String
    /// The only algorithm this key accepts.
    public let algorithm: SigningAlgorithm
    private let publicKey: PublicKey

    /// The key material, parsed once when the key is loaded.
    private enum PublicKey: Sendable {
        case eddsa(Curve25519.Signing.PublicKey)
        case es256(P256.Signing.PublicKey)
        case rs256(_RSA.Signing.PublicKey)
        case hs256(SymmetricKey)
    }

    /// The verification half of a signing key.
    public init(_ key: SigningKey) async throws {
        self.kid = key.kid
        self.algorithm = key.algorithm
        self.publicKey =
            switch key.algorithm {
            case .eddsa: .eddsa(try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKeyBytes).publicKey)
            case .es256: .es256(try P256.Signing.PrivateKey(rawRepresentation: key.privateKeyBytes).publicKey)
            case .rs256: .rs256(try _RSA.Signing.PrivateKey(derRepresentation: key.privateKeyBytes).publicKey)
            case .hs256: .hs256(SymmetricKey(data: key.privateKeyBytes))
            }
    }

    /// A public key from one JWK of a key set (RFC 7517), for services that verify offline.
    ///
    /// Refused, with the reason: a key without `kid` or `alg` (a token must never pick the
    /// algorithm), `HS256` or any algorithm but EdDSA, ES256 and RS256, an `alg` that does not fit
    /// `kty`/`crv`, `use` other than `sig`, private material, and RSA under 2048 bits.
    public init(jwk: [String: JSONValue]) async throws(JWKRejection) {
        guard let kid = jwk["kid"]?.string, !kid.isEmpty else { throw .missingKeyID }
        guard let name = jwk["alg"]?.string else { throw .missingAlgorithm }
        guard let algorithm = SigningAlgorithm(rawValue: name), algorithm.isAsymmetric else { throw .unsupportedAlgorithm }
        if let use = jwk["use"], use.string != "sig" { throw .notForSignatures }
        for field in ["d", "p", "q", "dp", "dq", "qi", "k"] where jwk[field] != nil { throw .privateMaterial }
        do {
            switch (algorithm, jwk["kty"]?.string, jwk["crv"]?.string) {
            case (.eddsa, "OKP", "Ed25519"):
                guard let x = jwk["x"]?.string.flatMap({ Base64.decode($0) }) else { throw JWKRejection.malformed }
                publicKey = .eddsa(try Curve25519.Signing.PublicKey(rawRepresentation: x))
            case (.es256, "EC", "P-256"):
                guard let x = jwk["x"]?.string.flatMap({ Base64.decode($0) }), let y = jwk["y"]?.string.flatMap({ Base64.decode($0) }),
                    x.count == 32, y.count == 32
                else { throw JWKRejection.malformed }
                publicKey = .es256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            case (.rs256, "RSA", nil):
                guard let n = jwk["n"]?.string.flatMap({ Base64.decode($0) }), let e = jwk["e"]?.string.flatMap({ Base64.decode($0) }) else {
                    throw JWKRejection.malformed
                }
                let key = try _RSA.Signing.PublicKey(n: n, e: e)
                guard key.keySizeInBits >= 2048 else { throw JWKRejection.weakKey }
                publicKey = .rs256(key)
            default:
                throw JWKRejection.algorithmMismatch
            }
        } catch let rejection as JWKRejection {
            throw rejection
        } catch {
            throw .malformed
        }
        self.kid = kid
        self.algorithm = algorithm
    }

    /// Whether `signature` (as carried in a JWS: raw `r‖s` for ES256) is this key's signature of
    /// `signingInput`.
    func isValidSignature(_ signature: [UInt8], for signingInput: [UInt8]) -> Bool {
        switch publicKey {
        case .eddsa(let key):
            return key.isValidSignature(signature, for: signingInput)
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: signingInput)
        case .rs256(let key):
            return key.isValidSignature(
                _RSA.Signing.RSASignature(rawRepresentation: signature),
                for: SHA256.hash(data: signingInput),
                padding: .insecurePKCS1v1_5
            )
        case .hs256(let key):
            return HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key)
        }
    }

    /// The usable keys of a JWKS document, by `kid`, and the kids (or positions) of the keys
    /// refused. One bad key never makes the whole set unusable.
    public static func keySet(json: [UInt8]) async -> (keys: [String: VerificationKey], refused: [String: JWKRejection]) {
        guard let document = StrictJSON.object(json), case .array(let entries)? = document["keys"] else { return ([:], ["keys": .malformed]) }
        var keys: [String: VerificationKey] = [:]
        var refused: [String: JWKRejection] = [:]
        var repeated: Set<String> = []
        for (index, entry) in entries.enumerated() {
            guard case .object(let jwk) = entry else {
                refused["#\(index)"] = .malformed
                continue
            }
            let label = jwk["kid"]?.string ?? "#\(index)"
            do {
                let key = try await VerificationKey(jwk: jwk)
                if keys[key.kid] != nil || repeated.contains(key.kid) {
                    repeated.insert(key.kid)
                    keys[key.kid] = nil
                    refused[label] = .duplicateKeyID
                    continue
                }
                keys[key.kid] = key
            } catch {
                refused[label] = error
            }
        }
        return (keys, refused)
    }
}

/// Why a JWK was not accepted as a verification key.
public enum JWKRejection: Error, Sendable, Hashable {
    /// No `kid`.
    case missingKeyID
    /// No `alg`: the algorithm must come from the key set, never from a token.
    case missingAlgorithm
    /// An algorithm Portcullis verifiers do not accept from a key set (HS256 included).
    case unsupportedAlgorithm
    /// `alg` does not fit the key type or curve.
    case algorithmMismatch
    /// `use` is not `sig`.
    case notForSignatures
    /// The JWK carries private key material.
    case privateMaterial
    /// RSA shorter than 2048 bits.
    case weakKey
    /// Two keys share a `kid`: neither is trusted.
    case duplicateKeyID
    /// Missing or undecodable key parameters.
    case malformed
}
