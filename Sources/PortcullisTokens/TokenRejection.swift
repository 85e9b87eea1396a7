/// Why a token was refused. Deliberately coarse towards callers (every rejection is a 401 or
/// `invalid_token`) and never carries any part of the token.
public struct TokenRejection: Error, Sendable, Hashable, CustomStringConvertible {
    private enum Reason: String, Sendable, Hashable {
        case oversized = "token over the size limit"
        case malformed = "token is not a well-formed compact JWS"
        case forbiddenHeader = "header carries a key or a key URL"
        case algorithm = "algorithm is not the key's"
        case unknownKey = "no key with this kid"
        case type = "typ is not at+jwt"
        case critical = "unknown crit header"
        case signature = "signature does not verify"
        case issuer = "wrong issuer"
        case audience = "audience does not include us"
        case expired = "token expired"
        case notYetValid = "token not yet valid"
        case lifetime = "token lifetime exceeds the maximum"
        case claims = "a required claim is missing or malformed"
        case revoked = "token revoked"
        case revocationUnknown = "revocation feed stale and token older than the staleness bound"
    }

    private let reason: Reason
    private init(_ reason: Reason) { self.reason = reason }

    /// Over 8 KiB, checked before any parsing.
    public static let oversized = TokenRejection(.oversized)
    /// Wrong segment count, bad base64url, non-UTF-8, non-object or duplicate-member JSON.
    public static let malformed = TokenRejection(.malformed)
    /// `jwk`, `jku`, `x5u` or `x5c` in the header: keys never come from the token.
    public static let forbiddenHeader = TokenRejection(.forbiddenHeader)
    /// `alg` missing, `none`, or different from the key's algorithm.
    public static let algorithm = TokenRejection(.algorithm)
    /// `kid` missing or naming no key held for access tokens.
    public static let unknownKey = TokenRejection(.unknownKey)
    /// `typ` is not `at+jwt`.
    public static let type = TokenRejection(.type)
    /// A `crit` header (no extension is understood).
    public static let critical = TokenRejection(.critical)
    /// The signature does not verify with the named key.
    public static let signature = TokenRejection(.signature)
    /// `iss` is not the expected issuer.
    public static let issuer = TokenRejection(.issuer)
    /// `aud` does not contain an accepted audience.
    public static let audience = TokenRejection(.audience)
    /// `exp` is past (beyond the leeway).
    public static let expired = TokenRejection(.expired)
    /// `nbf` or `iat` is in the future (beyond the leeway).
    public static let notYetValid = TokenRejection(.notYetValid)
    /// `exp` is further from `iat` than the maximum lifetime.
    public static let lifetime = TokenRejection(.lifetime)
    /// A required claim is missing or has the wrong type.
    public static let claims = TokenRejection(.claims)
    /// The token's `jti`, `sid` or account was revoked.
    public static let revoked = TokenRejection(.revoked)
    /// The verifier has not heard from the revocation feed for longer than its staleness bound and
    /// is configured to fail closed for tokens older than that bound.
    public static let revocationUnknown = TokenRejection(.revocationUnknown)

    /// A short reason, safe for logs.
    public var description: String { reason.rawValue }
}
