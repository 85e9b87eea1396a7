import Crypto
import CryptoExtras
#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import JWTKit

/// One key of the key ring: its id, its algorithm and its private material.
///
/// The private material leaves this type only as ``privateKeyBytes`` (for encrypted storage);
/// ``description`` never shows it.
public struct SigningKey: Sendable, CustomStringConvertible {
    /// The key id, carried in the token header as `kid`.
    public let kid: String
    /// The algorithm this key signs with, and the only one it verifies.
    public let algorithm: SigningAlgorithm
    /// The private key, serialized: raw scalar (Ed25519, P-256), PKCS#1 DER (RSA), or the secret (HMAC).
    public let privateKeyBytes: [UInt8]

    /// A new random key.
    public static func generate(_ algorithm: SigningAlgorithm) throws -> SigningKey {
        let bytes: [UInt8] = switch algorithm {
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
        _ = try jwtKitSigning()
    }

    /// The public key as a JWK with `kid`, `alg` and `use: "sig"`; `nil` for HS256.
    public var publicJWK: [String: String]? {
        get throws {
            var jwk: [String: String] = ["kid": kid, "alg": algorithm.rawValue, "use": "sig"]
            switch algorithm {
            case .eddsa:
                let key = try Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyBytes)
                jwk.merge(["kty": "OKP", "crv": "Ed25519", "x": Base64.encode(Array(key.publicKey.rawRepresentation))]) { $1 }
            case .es256:
                let point = Array(try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes).publicKey.x963Representation)
                jwk.merge(["kty": "EC", "crv": "P-256", "x": Base64.encode(point[1...32]), "y": Base64.encode(point[33...64])]) { $1 }
            case .rs256:
                let primitives = try _RSA.Signing.PrivateKey(derRepresentation: privateKeyBytes).publicKey.getKeyPrimitives()
                jwk.merge(["kty": "RSA", "n": Base64.encode(Array(primitives.modulus)), "e": Base64.encode(Array(primitives.publicExponent))]) { $1 }
            case .hs256:
                return nil
            }
            return jwk
        }
    }

    /// A jwt-kit key collection holding this key alone, under its kid: with nothing else in it,
    /// jwt-kit has no default key to fall back on.
    func keyCollection() async throws -> JWTKeyCollection {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: kid)
        let serializer = DefaultJWTSerializer(jsonEncoder: Self.compactEncoder)
        switch try jwtKitSigning() {
        case .eddsa(let key): await collection.add(eddsa: key, kid: kid, serializer: serializer)
        case .es256(let key): await collection.add(ecdsa: key, kid: kid, serializer: serializer)
        case .rs256(let key): await collection.add(rsa: key, digestAlgorithm: .sha256, kid: kid, serializer: serializer)
        case .hs256(let key): await collection.add(hmac: key, digestAlgorithm: .sha256, kid: kid, serializer: serializer)
        }
        return collection
    }

    /// JSON without escaped slashes: `"iss":"https://…"` instead of `"https:\/\/…"`, fewer bytes per token.
    private static var compactEncoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        encoder.dateEncodingStrategy = .secondsSince1970
        return encoder
    }

    private enum JWTKitKey {
        case eddsa(EdDSA.PrivateKey)
        case es256(ES256PrivateKey)
        case rs256(JWTKit.Insecure.RSA.PrivateKey)
        case hs256(HMACKey)
    }

    private func jwtKitSigning() throws -> JWTKitKey {
        switch algorithm {
        case .eddsa: return .eddsa(EdDSA.PrivateKey(backing: try Curve25519.Signing.PrivateKey(rawRepresentation: privateKeyBytes)))
        case .es256: return .es256(try ES256PrivateKey(backing: try P256.Signing.PrivateKey(rawRepresentation: privateKeyBytes)))
        case .rs256: return .rs256(try JWTKit.Insecure.RSA.PrivateKey(backing: try _RSA.Signing.PrivateKey(derRepresentation: privateKeyBytes)))
        case .hs256:
            guard privateKeyBytes.count >= 32 else { throw TokenRejection.unknownKey }
            return .hs256(HMACKey(key: SymmetricKey(data: privateKeyBytes)))
        }
    }

    private static func newKid() -> String {
        Base64.encode(SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) })
    }

    public var description: String { "SigningKey(kid: \(kid), alg: \(algorithm.rawValue))" }
}
