import Foundation
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

@Suite("Key ring")
struct KeyRingTests {
    static let policy = TokenPolicy(issuer: "https://auth.example")

    @Test func privateKeysAreSealedAtRest() async throws {
        let store = MemoryStore()
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let ring = KeyRing(store: store, encryption: encryption, policy: Self.policy, clock: ManualClock())
        let key = try await ring.signingKey()
        let stored = try #require(try await store.signingKeys().first)
        #expect(stored.kid == key.kid)
        #expect(stored.sealedPrivateKey.count > key.privateKeyBytes.count)
        #expect(!Self.contains(stored.sealedPrivateKey, key.privateKeyBytes))

        let otherKey = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let stranger = KeyRing(store: store, encryption: otherKey, policy: Self.policy, clock: ManualClock())
        await #expect(throws: KeyFileError.self) { _ = try await stranger.verificationKeys() }
    }

    @Test func aRotationWithAnotherKeyFileIsRefusedAndAddsNothing() async throws {
        let store = MemoryStore()
        let ring = KeyRing(store: store, encryption: try KeyEncryptionKey(bytes: SecureRandom.bytes(32)), policy: Self.policy, clock: ManualClock())
        _ = try await ring.signingKey()
        let before = try await store.signingKeys()
        // An operator runs `portcullis keys rotate --now` where a fresh key file gets created.
        let wrongDirectory = KeyRing(
            store: store,
            encryption: try KeyEncryptionKey(bytes: SecureRandom.bytes(32)),
            policy: Self.policy,
            clock: ManualClock()
        )
        await #expect(throws: KeyFileError.self) { _ = try await wrongDirectory.rotate(immediately: true) }
        #expect(try await store.signingKeys() == before, "no key added, none ended")
        #expect(try await ring.rotate(immediately: true).kid != before.first?.kid)
    }

    @Test func aSealedKeyCannotBeMovedToAnotherKid() throws {
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let sealed = try encryption.seal([1, 2, 3], context: "signing-key:a:EdDSA")
        #expect(try encryption.open(sealed, context: "signing-key:a:EdDSA") == [1, 2, 3])
        #expect(throws: (any Error).self) { try encryption.open(sealed, context: "signing-key:b:EdDSA") }
    }

    @Test func theKeyFileIsCreatedPrivateAndReadBack() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("portcullis.key")
        let created = try KeyEncryptionKey.loadOrCreate(path: path)
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)
        let sealed = try created.seal([9, 9], context: "x")
        #expect(try KeyEncryptionKey.loadOrCreate(path: path).open(sealed, context: "x") == [9, 9])
        let text = try #require(FileManager.default.contents(atPath: path))
        #expect(text.count == 45 && text.last == UInt8(ascii: "\n"), "32 bytes in base64 and a newline")
        #expect(throws: KeyFileError.self) { try KeyEncryptionKey.loadOrCreate(path: directory.path("missing/portcullis.key")) }
    }

    @Test func anotherInstancesRotationIsPickedUpWithinFifteenSeconds() async throws {
        let store = MemoryStore()
        let clock = ManualClock()
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let first = KeyRing(store: store, encryption: encryption, policy: Self.policy, clock: clock)
        let second = KeyRing(store: store, encryption: encryption, policy: Self.policy, clock: clock)
        let original = try await first.signingKey()
        #expect(try await second.signingKey().kid == original.kid)
        let rotated = try await first.rotate(immediately: true)
        clock.advance(by: .seconds(15))
        #expect(try await second.signingKey().kid == rotated.kid)
        #expect(try await second.verificationKeys().keys.sorted() == [rotated.kid])
    }

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard needle.count <= haystack.count else { return false }
        return (0...(haystack.count - needle.count)).contains { Array(haystack[$0..<$0 + needle.count]) == needle }
    }
}
