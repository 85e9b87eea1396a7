import Crypto
import CryptoExtras
import Foundation
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

/// Passkeys' public keys (COSE) and the authenticator data they sign: every accepted algorithm
/// verifies, and a key whose fields disagree with each other is refused.
@Suite("COSE keys and authenticator data")
struct COSEKeyTests {
    /// The algorithms a software authenticator makes, and the COSE identifier each must read as.
    static let algorithms: [(SoftwarePasskey.Algorithm, fullySpecified: Bool, identifier: Int64)] = [
        (.es256, false, -7), (.ed25519, false, -8), (.ed25519, true, -19), (.rs256, false, -257),
    ]

    @Test(arguments: algorithms)
    func eachAlgorithmParsesAndVerifiesItsSignatures(algorithm: SoftwarePasskey.Algorithm, fullySpecified: Bool, identifier: Int64) throws {
        let authenticator = try SoftwarePasskey(algorithm: algorithm, userHandle: [1, 2, 3], fullySpecifiedEdDSA: fullySpecified)
        let key = try COSEKey(cbor: authenticator.coseKey)
        #expect(key.algorithm == identifier)
        #expect(COSEKey.supportedAlgorithms.contains(identifier))
        let ceremony = SoftwarePasskey.Ceremony(origin: "https://auth.example.com", relyingPartyID: "auth.example.com")
        let signed = try Self.signed(authenticator.assertion(challenge: "Y2hhbGxlbmdl", ceremony, signCount: 7))
        #expect(key.isValidSignature(signed.signature, for: signed.message))
        // Another message, a changed signature, another key's signature: all refused.
        #expect(!key.isValidSignature(signed.signature, for: signed.message + [0]))
        var flipped = signed.signature
        flipped[flipped.count / 2] ^= 0x01
        #expect(!key.isValidSignature(flipped, for: signed.message))
        #expect(!key.isValidSignature([], for: signed.message))
        #expect(!key.isValidSignature(Array(repeating: 0, count: signed.signature.count), for: signed.message))
        let other = try SoftwarePasskey(algorithm: algorithm, userHandle: [1, 2, 3], fullySpecifiedEdDSA: fullySpecified)
        let otherSigned = try Self.signed(other.assertion(challenge: "Y2hhbGxlbmdl", ceremony, signCount: 7))
        #expect(!key.isValidSignature(otherSigned.signature, for: otherSigned.message))
        // The key read from its decoded map is the same key.
        #expect(try COSEKey(CBOR.decode(authenticator.coseKey)).isValidSignature(signed.signature, for: signed.message))
    }

    @Test func anES256SignatureMustBeDER() throws {
        let privateKey = P256.Signing.PrivateKey()
        let key = try COSEKey(cbor: Self.ec2(privateKey.publicKey))
        let signature = try privateKey.signature(for: Array("message".utf8))
        #expect(key.isValidSignature(Array(signature.derRepresentation), for: Array("message".utf8)))
        #expect(!key.isValidSignature(Array(signature.rawRepresentation), for: Array("message".utf8)))
    }

    @Test func refusesAnEC2KeyThatIsNotAP256Point() throws {
        let point = Array(P256.Signing.PrivateKey().publicKey.x963Representation)
        let (x, y) = (Array(point[1...32]), Array(point[33...64]))
        #expect(throws: Never.self) { try COSEKey(cbor: Self.key([(1, 2), (3, -7), (-1, 1)], [(-2, x), (-3, y)])) }
        for (labels, fields) in [
            // Another curve: P-384, P-521, Ed25519's.
            ([(1, 2), (3, -7), (-1, 2)], [(-2, x), (-3, y)]), ([(1, 2), (3, -7), (-1, 3)], [(-2, x), (-3, y)]),
            ([(1, 2), (3, -7), (-1, 6)], [(-2, x), (-3, y)]),
            // Coordinates of the wrong length.
            ([(1, 2), (3, -7), (-1, 1)], [(-2, Array(x.dropFirst())), (-3, y)]), ([(1, 2), (3, -7), (-1, 1)], [(-2, x), (-3, y + [0])]),
            ([(1, 2), (3, -7), (-1, 1)], [(-2, [0] + x), (-3, [0] + y)]),
            // A point off the curve, and the point at infinity's coordinates.
            ([(1, 2), (3, -7), (-1, 1)], [(-2, Array(repeating: 1, count: 32)), (-3, Array(repeating: 1, count: 32))]),
            ([(1, 2), (3, -7), (-1, 1)], [(-2, Array(repeating: 0, count: 32)), (-3, Array(repeating: 0, count: 32))]),
            ([(1, 2), (3, -7), (-1, 1)], [(-2, x), (-3, x)]),
            // Missing fields.
            ([(3, -7), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 2), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 2), (3, -7)], [(-2, x), (-3, y)]),
            ([(1, 2), (3, -7), (-1, 1)], [(-3, y)]), ([(1, 2), (3, -7), (-1, 1)], [(-2, x)]),
        ] as [([(Int64, Int64)], [(Int64, [UInt8])])] {
            #expect(throws: COSEKey.UnsupportedKey.self, "\(labels)") { try COSEKey(cbor: Self.key(labels, fields)) }
        }
    }

    @Test func refusesAKeyTypeThatDisagreesWithItsAlgorithm() throws {
        let point = Array(P256.Signing.PrivateKey().publicKey.x963Representation)
        let (x, y) = (Array(point[1...32]), Array(point[33...64]))
        let ed = Array(Curve25519.Signing.PrivateKey().publicKey.rawRepresentation)
        for (labels, fields) in [
            // EC2 with EdDSA, RS256, ES384, ES512, PS256; OKP with ES256; RSA with ES256 and EdDSA.
            ([(1, 2), (3, -8), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 2), (3, -19), (-1, 1)], [(-2, x), (-3, y)]),
            ([(1, 2), (3, -257), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 2), (3, -35), (-1, 1)], [(-2, x), (-3, y)]),
            ([(1, 2), (3, -36), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 2), (3, -37), (-1, 1)], [(-2, x), (-3, y)]),
            ([(1, 1), (3, -7), (-1, 6)], [(-2, ed)]), ([(1, 3), (3, -7)], [(-1, x + y), (-2, [1, 0, 1])]),
            ([(1, 3), (3, -8)], [(-1, x + y), (-2, [1, 0, 1])]),
            // Unknown key types and algorithms.
            ([(1, 4), (3, -7), (-1, 1)], [(-2, x), (-3, y)]), ([(1, 0), (3, -8), (-1, 6)], [(-2, ed)]), ([(1, 1), (3, 0), (-1, 6)], [(-2, ed)]),
            ([(1, 1), (3, -9), (-1, 6)], [(-2, ed)]), ([(1, 2), (3, 7), (-1, 1)], [(-2, x), (-3, y)]),
            // OKP keys on another curve (X25519, Ed448), of the wrong length, or without x.
            ([(1, 1), (3, -8), (-1, 4)], [(-2, ed)]), ([(1, 1), (3, -8), (-1, 7)], [(-2, ed)]), ([(1, 1), (3, -8), (-1, 6)], [(-2, ed + [0])]),
            ([(1, 1), (3, -8), (-1, 6)], [(-2, Array(ed.dropLast()))]), ([(1, 1), (3, -8), (-1, 6)], []), ([(1, 1), (3, -8)], [(-2, ed)]),
        ] as [([(Int64, Int64)], [(Int64, [UInt8])])] {
            #expect(throws: COSEKey.UnsupportedKey.self, "\(labels)") { try COSEKey(cbor: Self.key(labels, fields)) }
        }
        #expect(try COSEKey(cbor: Self.key([(1, 1), (3, -8), (-1, 6)], [(-2, ed)])).algorithm == -8)
    }

    @Test func refusesFieldsOfTheWrongTypeAndWhatIsNotAKeyMap() throws {
        let authenticator = try SoftwarePasskey(algorithm: .ed25519, userHandle: [1])
        guard case .ed25519(let publicKey, _) = try COSEKey(cbor: authenticator.coseKey) else {
            Issue.record("an Ed25519 key read as another")
            return
        }
        let ed = Array(publicKey.rawRepresentation)
        for bytes in [
            CBORWriter.encode(.map([.init(1, .text("OKP")), .init(3, -8), .init(-1, 6), .init(-2, .bytes(ed))])),
            CBORWriter.encode(.map([.init(1, 1), .init(3, .text("EdDSA")), .init(-1, 6), .init(-2, .bytes(ed))])),
            CBORWriter.encode(.map([.init(1, 1), .init(3, -8), .init(-1, .text("Ed25519")), .init(-2, .bytes(ed))])),
            CBORWriter.encode(.map([.init(1, 1), .init(3, -8), .init(-1, 6), .init(-2, .text("x"))])),
            CBORWriter.encode(.map([.init("kty", 1), .init("alg", -8), .init("crv", 6), .init("x", .bytes(ed))])),
            CBORWriter.encode(.array([1, -8, 6, .bytes(ed)])),
            CBORWriter.encode(.bytes(authenticator.coseKey)),
            authenticator.coseKey + [0x00],
            Array(authenticator.coseKey.dropLast()),
            [],
        ] {
            #expect(throws: COSEKey.UnsupportedKey.self) { try COSEKey(cbor: bytes) }
        }
    }

    @Test func refusesAnRSAKeyShorterThan2048BitsOrWithoutItsParts() throws {
        let short = try _RSA.Signing.PrivateKey(unsafeKeySize: .init(bitCount: 1024)).publicKey.getKeyPrimitives()
        #expect(throws: COSEKey.UnsupportedKey.self) {
            try COSEKey(cbor: Self.key([(1, 3), (3, -257)], [(-1, Array(short.modulus)), (-2, Array(short.publicExponent))]))
        }
        let authenticator = try SoftwarePasskey(algorithm: .rs256, userHandle: [1])
        guard case .rs256(let publicKey) = try COSEKey(cbor: authenticator.coseKey) else {
            Issue.record("an RS256 key read as another")
            return
        }
        let primitives = try publicKey.getKeyPrimitives()
        let (n, e) = (Array(primitives.modulus), Array(primitives.publicExponent))
        #expect(throws: Never.self) { try COSEKey(cbor: Self.key([(1, 3), (3, -257)], [(-1, n), (-2, e)])) }
        for fields in [[(-2, e)], [(-1, n)], [(-1, n), (-2, [])], [(-1, n), (-2, [0, 1, 0, 0, 1])], [(-1, []), (-2, e)]] as [[(Int64, [UInt8])]] {
            #expect(throws: COSEKey.UnsupportedKey.self) { try COSEKey(cbor: Self.key([(1, 3), (3, -257)], fields)) }
        }
    }

    // MARK: - Authenticator data

    @Test func authenticatorDataIsReadFieldByField() throws {
        let hash = Array(SHA256.hash(data: Array("auth.example.com".utf8)))
        let plain = try AuthenticatorData(hash + [0x1D, 0x00, 0x00, 0x01, 0x02])
        #expect(plain.relyingPartyIDHash == hash && plain.signCount == 258 && plain.attestedCredential == nil)
        #expect(plain.userPresent && plain.userVerified && plain.backupEligible && plain.backedUp)
        let bare = try AuthenticatorData(hash + [0x00, 0xFF, 0xFF, 0xFF, 0xFF])
        #expect(!bare.userPresent && !bare.userVerified && !bare.backupEligible && !bare.backedUp && bare.signCount == UInt32.max)
        let authenticator = try SoftwarePasskey(algorithm: .es256, userHandle: [1])
        let aaguid = Array(1...16) as [UInt8]
        let attested = try AuthenticatorData(
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00, UInt8(authenticator.credentialID.count)] + authenticator.credentialID
                + authenticator.coseKey
        )
        let credential = try #require(attested.attestedCredential)
        #expect(credential.aaguid == aaguid && credential.id == authenticator.credentialID && credential.publicKey == authenticator.coseKey)
        // Extensions after the credential, and alone.
        let extended = try AuthenticatorData(
            hash + [0xC5, 0, 0, 0, 0] + aaguid + [0x00, 0x01, 0x07] + authenticator.coseKey + CBORWriter.encode(.map([.init("credProtect", 2)]))
        )
        #expect(extended.attestedCredential?.id == [0x07] && extended.attestedCredential?.publicKey == authenticator.coseKey)
        #expect(try AuthenticatorData(hash + [0x85, 0, 0, 0, 1, 0xA0]).signCount == 1)
    }

    @Test func authenticatorDataRefusesWhatIsMissingOrLeftOver() throws {
        let hash = Array(SHA256.hash(data: Array("auth.example.com".utf8)))
        let key = try SoftwarePasskey(algorithm: .es256, userHandle: [1]).coseKey
        let aaguid = [UInt8](repeating: 0, count: 16)
        for bytes in [
            // Too short: nothing, no counter, a counter cut short.
            [], hash, hash + [0x05], hash + [0x05, 0, 0, 0],
            // Trailing bytes with no flag announcing them.
            hash + [0x05, 0, 0, 0, 1, 0x00], hash + [0x05, 0, 0, 0, 1] + key,
            // Attested credential data cut short, or its id running past the end.
            hash + [0x45, 0, 0, 0, 0], hash + [0x45, 0, 0, 0, 0] + aaguid, hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00],
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00, 0x40] + Array(repeating: 7, count: 10),
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0xFF, 0xFF] + Array(repeating: 7, count: 100),
            // An id longer than WebAuthn allows, though present.
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0x04, 0x00] + Array(repeating: 7, count: 1024) + key,
            // No key after the id, a key that is not CBOR, or bytes after the key.
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00, 0x01, 0x07], hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00, 0x01, 0x07, 0xFF],
            hash + [0x45, 0, 0, 0, 0] + aaguid + [0x00, 0x01, 0x07] + key + [0x00],
            // The ED flag with no extensions, with extensions that are not a map, or with bytes after them.
            hash + [0x85, 0, 0, 0, 1], hash + [0x85, 0, 0, 0, 1, 0x01], hash + [0x85, 0, 0, 0, 1, 0x80], hash + [0x85, 0, 0, 0, 1, 0xF6],
            hash + [0x85, 0, 0, 0, 1, 0x41, 0x00], hash + [0x85, 0, 0, 0, 1, 0xA0, 0x00], hash + [0x85, 0, 0, 0, 1, 0xBF, 0xFF],
            hash + [0xC5, 0, 0, 0, 0] + aaguid + [0x00, 0x01, 0x07] + key,
        ] as [[UInt8]] {
            #expect(throws: CBOR.DecodingError.self, "\(bytes.count) bytes") { try AuthenticatorData(bytes) }
        }
    }

    // MARK: - Helpers

    /// A COSE key map of integer and byte-string fields.
    static func key(_ integers: [(Int64, Int64)], _ byteFields: [(Int64, [UInt8])]) -> [UInt8] {
        CBORWriter.encode(.map(integers.map { CBORWriter.Item.Entry($0.0, .integer($0.1)) } + byteFields.map { .init($0.0, .bytes($0.1)) }))
    }

    /// The COSE key of a P-256 public key.
    static func ec2(_ key: P256.Signing.PublicKey) -> [UInt8] {
        let point = Array(key.x963Representation)
        return Self.key([(1, 2), (3, -7), (-1, 1)], [(-2, Array(point[1...32])), (-3, Array(point[33...64]))])
    }

    /// What an assertion signs, and its signature.
    static func signed(_ assertion: [String: any Sendable]) throws -> (message: [UInt8], signature: [UInt8]) {
        let response = try #require(assertion["response"] as? [String: any Sendable])
        let data = try #require((response["authenticatorData"] as? String).flatMap { Base64.decode($0) })
        let clientData = try #require((response["clientDataJSON"] as? String).flatMap { Base64.decode($0) })
        let signature = try #require((response["signature"] as? String).flatMap { Base64.decode($0) })
        return (data + Array(SHA256.hash(data: clientData)), signature)
    }
}
