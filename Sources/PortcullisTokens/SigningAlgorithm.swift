/// The JWS algorithms Portcullis signs access tokens with (docs/design.md#the-key-ring-and-token-policy).
public enum SigningAlgorithm: String, Sendable, Hashable, CaseIterable, Codable {
    /// Ed25519 (RFC 8037): the default; small keys, small signatures.
    case eddsa = "EdDSA"
    /// ECDSA on P-256 with SHA-256.
    case es256 = "ES256"
    /// RSASSA-PKCS1-v1_5 with SHA-256, 2048-bit keys.
    case rs256 = "RS256"
    /// HMAC-SHA256 with a 32-byte secret: single-service mode only, never published.
    case hs256 = "HS256"

    /// Whether the verification key is public (and so belongs in the JWKS).
    public var isAsymmetric: Bool { self != .hs256 }
}
