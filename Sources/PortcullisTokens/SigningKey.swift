import Crypto
import CryptoExtras

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One key of the key ring: its id, its algorithm and its private material.
///
/// The private material leaves this type only as ``privateKeyBytes`` (for encrypted storage);
/// ``description`` never shows it. It is parsed once, when the key is created or read back, so
/// signing a token costs the signature and nothing else.
public struct SigningKey: Sendable, CustomStringConvertible {
    /// The key id, carried in the token header as `kid`.
    public let kid: String
    /// The algorithm this key signs with, and the only one it verifies.
    public let algorithm: SigningAlgorithm
    /// The private key, serialized: raw scalar (Ed25519, P-256), PKCS#1 DER (RSA), or the secret (HMAC).
    public let privateKeyBytes: [UInt8]
    private let privateKey: PrivateKey
    /// The JWS header every token this key signs carries, base64url-encoded.
    let headerSegment: String

    /// The key material, parsed.
    private enum PrivateKey: Sendable {
        case eddsa(Curve25519.Signing.PrivateKey)
        case es256(P256.Signing.PrivateKey)
        case rs256(_RSA.Signing.PrivateKey)
        case hs256(SymmetricKey)
    }

    /// A new random key.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKey {
        let bytes: [UInt8] =
            switch algorithm {
            case .eddsa: Array(Curve25519.Signing.PrivateKey().rawRepresentation)
            case .es256: Array(P256.Signing.PrivateKey().rawRepresentation)
            case .rs256: Array(try _RSA.Signing.PrivateKey(keySize: .bits2048).derRepresentation)
            case .hs256: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
            }
        return try SigningKey(kid: Self.newKid(), algorithm: algorithm, privateKeyBytes: bytes)
    }

    /// A key read back from storage. - Throws: when the bytes are not a key of this algorithm.
    public init(kid: String, algorithm: SigningAlgorithm, privateKeyBytes: [UInt8]) throws {
        self.kid = kid
        self.algorithm = algorithm
        self.privateKeyBytes = privateKeyBytes
        if algorithm == .hs256, privateKeyBytes.count < 32 { throw TokenRejection.unknownKey }
        self.privateKey =
            switch algorithm {
            case .eddsa: .eddsa(try Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyBytes))
            case .es256: .es256(try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes))
            case .rs256: .rs256(try _RSA.Signing.PrivateKey(derRepresentation: privateKeyBytes))
            case .hs256: .hs256(SymmetricKey(data: privateKeyBytes))
            }
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let header = try encoder.encode(["alg": algorithm.rawValue, "kid": kid, "typ": "at+jwt"])
        self.headerSegment = Base64.encode(header)
    }

    /// The JWS signature of `signingInput` (raw `r‖s` for ES256, as JWS carries it).
    func signature(for signingInput: [UInt8]) throws -> [UInt8] {
        switch privateKey {
        case .eddsa(let key): Array(try key.signature(for: signingInput))
        case .es256(let key): Array(try key.signature(for: signingInput).rawRepresentation)
        case .rs256(let key): Array(try key.signature(for: SHA256.hash(data: signingInput), padding: .insecurePKCS1v1_5).rawRepresentation)
        case .hs256(let key): Array(HMAC<SHA256>.authenticationCode(for: signingInput, using: key))
        }
    }

    /// The public key as a JWK with `kid`, `alg` and `use: "sig"`; `nil` for HS256.
    public var publicJWK: [String: String]? {
        get throws {
            var jwk: [String: String] = ["kid": kid, "alg": algorithm.rawValue, "use": "sig"]
            switch privateKey {
            case .eddsa(let key):
                jwk.merge(["kty": "OKP", "crv": "Ed25519", "x": Base64.encode(Array(key.publicKey.rawRepresentation))]) { $1 }
            case .es256(let key):
                let point = Array(key.publicKey.x963Representation)
                jwk.merge(["kty": "EC", "crv": "P-256", "x": Base64.encode(point[1...32]), "y": Base64.encode(point[33...64])]) { $1 }
            case .rs256(let key):
                let primitives = try key.publicKey.getKeyPrimitives()
                jwk.merge(["kty": "RSA", "n": Base64.encode(Array(primitives.modulus)), "e": Base64.encode(Array(primitives.publicExponent))]) { $1 }
            case .hs256:
                return nil
            }
            return jwk
        }
    }

    private static func newKid() -> String {
        Base64.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
    }

    public var description: String { "SigningKey(kid: \(kid), alg: \(algorithm.rawValue))" }
}
