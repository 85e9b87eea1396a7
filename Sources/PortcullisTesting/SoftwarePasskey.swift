public import Crypto
public import CryptoExtras
public import PortcullisCore
import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a person's authenticator does in tests, in software: it creates a passkey for a site and
/// signs sign-in challenges with it, producing exactly the JSON a browser's
/// `PublicKeyCredential.toJSON()` would, so the server's checks are exercised byte for byte.
/// Each field of a ceremony can be bent to try an attack: another origin, another relying-party
/// id, no user verification, an old counter.
public struct SoftwarePasskey: Sendable {
    /// The key's algorithm.
    public enum Algorithm: Sendable, CaseIterable {
        /// ECDSA P-256 (COSE −7).
        case es256
        /// Ed25519 (COSE −8, or −19 with ``SoftwarePasskey/init(algorithm:userHandle:fullySpecifiedEdDSA:)``).
        case ed25519
        /// RSA 2048 PKCS#1 v1.5 (COSE −257).
        case rs256
    }

    private enum PrivateKey: Sendable {
        case es256(P256.Signing.PrivateKey)
        case ed25519(Curve25519.Signing.PrivateKey)
        case rs256(_RSA.Signing.PrivateKey)
    }

    /// The credential id.
    public let credentialID: [UInt8]
    /// The user handle the site gave at registration.
    public let userHandle: [UInt8]
    /// The counter the next assertion carries minus one; zero keeps it at zero (no counting).
    public var signCount: UInt32
    private let key: PrivateKey
    private let fullySpecifiedEdDSA: Bool

    /// A new credential for the user `userHandle` (the options' `user.id`), with a random id of
    /// `idLength` bytes.
    public init(
        algorithm: Algorithm = .es256,
        userHandle: [UInt8],
        fullySpecifiedEdDSA: Bool = false,
        signCount: UInt32 = 1,
        idLength: Int = 32
    ) throws {
        credentialID = SecureRandom.bytes(idLength)
        self.userHandle = userHandle
        self.signCount = signCount
        self.fullySpecifiedEdDSA = fullySpecifiedEdDSA
        switch algorithm {
        case .es256: key = .es256(P256.Signing.PrivateKey())
        case .ed25519: key = .ed25519(Curve25519.Signing.PrivateKey())
        case .rs256: key = .rs256(try _RSA.Signing.PrivateKey(keySize: .bits2048))
        }
    }

    /// The credential id, base64url.
    public var id: String { Base64.encode(credentialID) }

    /// The public key, COSE-encoded.
    public var coseKey: [UInt8] {
        switch key {
        case .es256(let key):
            let point = Array(key.publicKey.x963Representation)
            return CBORWriter.encode(
                .map([.init(1, 2), .init(3, -7), .init(-1, 1), .init(-2, .bytes(Array(point[1...32]))), .init(-3, .bytes(Array(point[33...64])))])
            )
        case .ed25519(let key):
            return CBORWriter.encode(
                .map([
                    .init(1, 1), .init(3, .init(fullySpecifiedEdDSA ? -19 : -8)), .init(-1, 6),
                    .init(-2, .bytes(Array(key.publicKey.rawRepresentation))),
                ])
            )
        case .rs256(let key):
            let primitives = try! key.publicKey.getKeyPrimitives()
            return CBORWriter.encode(
                .map([.init(1, 3), .init(3, -257), .init(-1, .bytes(Array(primitives.modulus))), .init(-2, .bytes(Array(primitives.publicExponent)))])
            )
        }
    }

    /// How a ceremony is bent.
    public struct Ceremony: Sendable {
        /// The origin the browser reports.
        public var origin: String
        /// The relying-party id the authenticator hashes.
        public var relyingPartyID: String
        /// The client data's type; `nil` for the right one.
        public var type: String?
        /// Whether the authenticator verified the person.
        public var userVerified = true
        /// The attestation format at registration: `none` or `packed` (self-attestation).
        public var format = "none"

        /// A ceremony as a browser at `origin` makes it for `relyingPartyID`.
        public init(origin: String, relyingPartyID: String) {
            self.origin = origin
            self.relyingPartyID = relyingPartyID
        }
    }

    /// The JSON of `navigator.credentials.create()` answering `challenge` (base64url).
    public func register(challenge: String, _ ceremony: Ceremony) throws -> [String: any Sendable] {
        let clientData = Self.clientData(type: ceremony.type ?? "webauthn.create", challenge: challenge, origin: ceremony.origin)
        var flags: UInt8 = 0x41 | 0x08
        if ceremony.userVerified { flags |= 0x04 }
        let idLength = [UInt8(credentialID.count >> 8), UInt8(credentialID.count & 0xFF)]
        let authData =
            Array(SHA256.hash(data: Array(ceremony.relyingPartyID.utf8))) + [flags] + Self.bigEndian(signCount) + [UInt8](repeating: 0, count: 16)
            + idLength + credentialID + coseKey
        var statement: [CBORWriter.Item.Entry] = []
        if ceremony.format == "packed" {
            let signature = try sign(authData + Array(SHA256.hash(data: clientData)))
            statement = [.init("alg", .init(algorithm)), .init("sig", .bytes(signature))]
        }
        let attestation = CBORWriter.encode(
            .map([.init("fmt", .text(ceremony.format)), .init("attStmt", .map(statement)), .init("authData", .bytes(authData))])
        )
        return [
            "id": id, "rawId": id, "type": "public-key", "clientExtensionResults": [String: String](), "authenticatorAttachment": "platform",
            "response": [
                "clientDataJSON": Base64.encode(clientData), "attestationObject": Base64.encode(attestation), "transports": ["internal"],
            ] as [String: any Sendable],
        ]
    }

    /// The JSON of `navigator.credentials.get()` answering `challenge` (base64url). Advances the
    /// counter (unless it is zero) before signing.
    public mutating func assert(challenge: String, _ ceremony: Ceremony) throws -> [String: any Sendable] {
        if signCount != 0 { signCount += 1 }
        return try assertion(challenge: challenge, ceremony, signCount: signCount)
    }

    /// An assertion with the counter `signCount`, as a cloned authenticator would make it.
    public func assertion(challenge: String, _ ceremony: Ceremony, signCount: UInt32) throws -> [String: any Sendable] {
        let clientData = Self.clientData(type: ceremony.type ?? "webauthn.get", challenge: challenge, origin: ceremony.origin)
        let flags: UInt8 = ceremony.userVerified ? 0x05 : 0x01
        let authData = Array(SHA256.hash(data: Array(ceremony.relyingPartyID.utf8))) + [flags] + Self.bigEndian(signCount)
        let signature = try sign(authData + Array(SHA256.hash(data: clientData)))
        return [
            "id": id, "rawId": id, "type": "public-key", "clientExtensionResults": [String: String](),
            "response": [
                "clientDataJSON": Base64.encode(clientData), "authenticatorData": Base64.encode(authData),
                "signature": Base64.encode(signature), "userHandle": Base64.encode(userHandle),
            ] as [String: any Sendable],
        ]
    }

    private var algorithm: Int64 {
        switch key {
        case .es256: -7
        case .ed25519: fullySpecifiedEdDSA ? -19 : -8
        case .rs256: -257
        }
    }

    private func sign(_ message: [UInt8]) throws -> [UInt8] {
        switch key {
        case .es256(let key): Array(try key.signature(for: message).derRepresentation)
        case .ed25519(let key): Array(try key.signature(for: message))
        case .rs256(let key): Array(try key.signature(for: message, padding: .insecurePKCS1v1_5).rawRepresentation)
        }
    }

    private static func clientData(type: String, challenge: String, origin: String) -> [UInt8] {
        Array("{\"type\":\"\(type)\",\"challenge\":\"\(challenge)\",\"origin\":\"\(origin)\",\"crossOrigin\":false}".utf8)
    }

    private static func bigEndian(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }
}

/// A CBOR encoder for tests: what authenticators write, so the server's strict decoder can be
/// tried on both good and hostile input.
public enum CBORWriter {
    /// An item to encode.
    public indirect enum Item: Sendable, ExpressibleByIntegerLiteral {
        case integer(Int64)
        case bytes([UInt8])
        case text(String)
        case array([Item])
        case map([Entry])

        /// One key and value of a map.
        public struct Entry: Sendable {
            let key: Item
            let value: Item

            /// An entry under an integer label.
            public init(_ key: Int64, _ value: Item) {
                self.key = .integer(key)
                self.value = value
            }

            /// An entry under a text key.
            public init(_ key: String, _ value: Item) {
                self.key = .text(key)
                self.value = value
            }
        }

        public init(integerLiteral value: Int64) { self = .integer(value) }

        /// The integer `value`.
        public init(_ value: Int64) { self = .integer(value) }
    }

    /// The item's canonical encoding.
    public static func encode(_ item: Item) -> [UInt8] {
        switch item {
        case .integer(let value): value >= 0 ? head(0, UInt64(value)) : head(1, UInt64(-1 - value))
        case .bytes(let bytes): head(2, UInt64(bytes.count)) + bytes
        case .text(let text): head(3, UInt64(text.utf8.count)) + Array(text.utf8)
        case .array(let items): head(4, UInt64(items.count)) + items.flatMap(encode)
        case .map(let entries): head(5, UInt64(entries.count)) + entries.flatMap { encode($0.key) + encode($0.value) }
        }
    }

    /// A head: major type and argument, in the shortest form.
    public static func head(_ major: UInt8, _ argument: UInt64) -> [UInt8] {
        let type = major << 5
        switch argument {
        case 0..<24: return [type | UInt8(argument)]
        case 24..<0x100: return [type | 24, UInt8(argument)]
        case 0x100..<0x10000: return [type | 25, UInt8(argument >> 8), UInt8(argument & 0xFF)]
        case 0x10000..<0x1_0000_0000: return [type | 26] + (0..<4).map { UInt8(truncatingIfNeeded: argument >> (24 - 8 * UInt64($0))) }
        default: return [type | 27] + (0..<8).map { UInt8(truncatingIfNeeded: argument >> (56 - 8 * UInt64($0))) }
        }
    }
}
