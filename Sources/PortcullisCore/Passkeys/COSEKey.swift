public import Crypto
public import CryptoExtras

/// A passkey's public key, read from its COSE encoding (RFC 9052 and RFC 9053), and the check of
/// its signatures.
///
/// Three algorithms are accepted, which together cover every current authenticator:
/// - ES256 (COSE −7): ECDSA over P-256 with SHA-256, signatures in DER;
/// - EdDSA (COSE −8, and −19, its fully specified name `Ed25519` since RFC 9864);
/// - RS256 (COSE −257): RSASSA-PKCS1-v1_5 with SHA-256, 2048 bits or more.
///
/// The key's own fields must agree with its algorithm (key type, curve, lengths), so a key cannot
/// be read one way and checked another.
public enum COSEKey: Sendable {
    /// ES256.
    case es256(P256.Signing.PublicKey)
    /// EdDSA with Ed25519; `algorithm` is −8 or −19, as the key named it.
    case ed25519(Curve25519.Signing.PublicKey, algorithm: Int64)
    /// RS256.
    case rs256(_RSA.Signing.PublicKey)

    /// The COSE algorithm identifiers offered to authenticators, most preferred first.
    public static let supportedAlgorithms: [Int64] = [-8, -19, -7, -257]

    /// Why a key was refused.
    public struct UnsupportedKey: Error, Sendable, CustomStringConvertible {
        /// What is wrong, for logs and tests.
        public let description: String
    }

    /// Reads the key from its CBOR encoding.
    public init(cbor bytes: [UInt8]) throws {
        let map: CBOR
        do {
            map = try CBOR.decode(bytes)
        } catch {
            throw UnsupportedKey(description: "the key is not CBOR: \(error)")
        }
        try self.init(map)
    }

    /// Reads the key from its decoded map.
    public init(_ map: CBOR) throws {
        guard map.entries != nil else { throw UnsupportedKey(description: "the key is not a map") }
        guard let keyType = map[1]?.integer, let algorithm = map[3]?.integer else {
            throw UnsupportedKey(description: "the key lacks kty or alg")
        }
        switch (keyType, algorithm) {
        case (2, -7):
            // EC2: crv 1 (P-256), x and y of 32 bytes.
            guard map[-1]?.integer == 1, let x = map[-2]?.byteString, let y = map[-3]?.byteString, x.count == 32, y.count == 32 else {
                throw UnsupportedKey(description: "an ES256 key must be a P-256 point")
            }
            do {
                self = .es256(try P256.Signing.PublicKey(x963Representation: [0x04] + x + y))
            } catch {
                throw UnsupportedKey(description: "the ES256 point is not on the curve")
            }
        case (1, -8), (1, -19):
            // OKP: crv 6 (Ed25519), x of 32 bytes.
            guard map[-1]?.integer == 6, let x = map[-2]?.byteString, x.count == 32 else {
                throw UnsupportedKey(description: "an EdDSA key must be Ed25519")
            }
            do {
                self = .ed25519(try Curve25519.Signing.PublicKey(rawRepresentation: x), algorithm: algorithm)
            } catch {
                throw UnsupportedKey(description: "the Ed25519 key is malformed")
            }
        case (3, -257):
            // RSA: n and e.
            guard let modulus = map[-1]?.byteString, let exponent = map[-2]?.byteString, !exponent.isEmpty, exponent.count <= 4 else {
                throw UnsupportedKey(description: "an RS256 key needs n and e")
            }
            do {
                self = .rs256(try _RSA.Signing.PublicKey(n: modulus, e: exponent))
            } catch {
                throw UnsupportedKey(description: "the RSA key is malformed or shorter than 2048 bits")
            }
        default:
            throw UnsupportedKey(description: "key type \(keyType) with algorithm \(algorithm) is not supported")
        }
    }

    /// The COSE algorithm identifier.
    public var algorithm: Int64 {
        switch self {
        case .es256: -7
        case .ed25519(_, let algorithm): algorithm
        case .rs256: -257
        }
    }

    /// Whether `signature` is this key's over `message`.
    public func isValidSignature(_ signature: [UInt8], for message: [UInt8]) -> Bool {
        switch self {
        case .es256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(derRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: message)
        case .ed25519(let key, _):
            return key.isValidSignature(signature, for: message)
        case .rs256(let key):
            return key.isValidSignature(_RSA.Signing.RSASignature(rawRepresentation: signature), for: message, padding: .insecurePKCS1v1_5)
        }
    }
}
