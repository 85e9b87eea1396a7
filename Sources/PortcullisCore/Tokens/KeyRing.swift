public import PortcullisTokens
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The signing keys: which one signs now, which ones verify, and rotation without downtime.
///
/// A rotated-in key is published (in the JWKS and to every verifier) at once but signs only after
/// ``TokenPolicy/keyPublishAhead``, so caches pick it up before any token needs it; the key it
/// replaces stops signing then and keeps verifying until its last token has expired. An emergency
/// rotation (`immediately`) signs with the new key at once and ends every other key's tokens.
/// Keys are re-read from the store at least every 15 seconds, so a rotation made by another
/// instance or by the command line is picked up within that time.
public actor KeyRing {
    private struct LoadedKey {
        let stored: StoredSigningKey
        let key: SigningKey
        let verification: VerificationKey
    }

    private let store: any SigningKeyStore
    private let encryption: KeyEncryptionKey
    private let policy: TokenPolicy
    private let clock: any WallClock
    private var loaded: [LoadedKey] = []
    private var loadedAt: Date?
    /// The keys that verify, as last computed, for the request path to read without crossing
    /// into the actor; good for a second, and dropped by anything that changes the keys here.
    private nonisolated let verifying = Mutex<(keys: [String: VerificationKey], takenAt: Date)?>(nil)

    /// How often keys are re-read from the store.
    public static let reloadInterval: Duration = .seconds(10)

    /// Creates the key ring.
    public init(store: any SigningKeyStore, encryption: KeyEncryptionKey, policy: TokenPolicy, clock: any WallClock = SystemClock()) {
        self.store = store
        self.encryption = encryption
        self.policy = policy
        self.clock = clock
    }

    /// The key that signs now; creates the first key if the ring is empty.
    public func signingKey() async throws -> SigningKey {
        let now = clock.now
        if let key = try await current(now: now) { return key }
        _ = try await add(algorithm: policy.signingAlgorithm, signsFrom: Date(epochSeconds: now.epochSeconds))
        guard let key = try await current(now: now) else { throw KeyFileError("no signing key") }
        return key
    }

    /// Every key whose tokens are still accepted, by `kid`. Read from memory on the request path:
    /// recomputed at most once a second, and at once after a rotation made here.
    public nonisolated func verificationKeys() async throws -> [String: VerificationKey] {
        let now = clock.now
        if let held = verifying.withLock({ $0 }), now.timeIntervalSince(held.takenAt) < 1, now >= held.takenAt { return held.keys }
        return try await currentVerificationKeys()
    }

    private func currentVerificationKeys() async throws -> [String: VerificationKey] {
        let now = clock.now
        let keys = Dictionary(
            uniqueKeysWithValues: try await keys().filter { Self.verifies($0.stored, at: now) }.map { ($0.key.kid, $0.verification) }
        )
        verifying.withLock { $0 = (keys, now) }
        return keys
    }

    /// Re-reads the keys from the store if the last read is older than a second: for a token whose
    /// `kid` is unknown here but may have just been created by another instance. Rate-limited, so
    /// a flood of made-up `kid`s costs at most one read a second.
    public func reloadAfterUnknownKid() async throws {
        guard let loadedAt, clock.now.timeIntervalSince(loadedAt) >= 1 || clock.now < loadedAt else { return }
        forgetLoaded()
        _ = try await keys()
    }

    /// The public keys to publish in the JWKS: asymmetric keys whose tokens are or will be accepted.
    public func publishedKeys() async throws -> [SigningKey] {
        let now = clock.now
        return try await keys().filter { $0.key.algorithm.isAsymmetric && Self.verifies($0.stored, at: now) }.map(\.key)
    }

    /// Adds a new key and schedules the hand-over.
    ///
    /// A scheduled rotation retires the keys that sign at the hand-over; they keep verifying until
    /// their last token has expired. An emergency rotation (`immediately`) assumes any earlier key
    /// may be the compromised one: every key but the new one stops signing and verifying at once,
    /// keys already retired included, so nothing they signed is accepted again.
    /// - Parameters:
    ///   - algorithm: the new key's algorithm (the configured one by default).
    ///   - immediately: sign with it now and end every other key.
    /// - Returns: the new key's record.
    public func rotate(algorithm: SigningAlgorithm? = nil, immediately: Bool = false) async throws -> StoredSigningKey {
        let algorithm = algorithm ?? policy.signingAlgorithm
        let configured = policy.signingAlgorithm
        guard algorithm != .hs256 || configured == .hs256, configured != .hs256 || algorithm == .hs256 else {
            throw PortcullisError(.invalidRequest, "HS256 is only for single-service mode, and single-service mode signs only with HS256.")
        }
        // Refuse to add a key sealed with a key file the stored keys do not open (a command run
        // from the wrong directory creates a fresh one): the servers could not open the new key.
        forgetLoaded()
        _ = try await keys()
        let now = Date(epochSeconds: clock.now.epochSeconds)
        let signsFrom = immediately ? now : now.addingTimeInterval(policy.keyPublishAhead.timeInterval)
        let horizon = policy.revocationHorizon
        let key = try newKey(algorithm: algorithm, signsFrom: signsFrom)
        // The store decides against the keys it holds under its lock, so a key another rotation is
        // adding at the same moment is either seen (and retired) or added after this one.
        try await store.rotateSigningKeys(adding: key) { held in
            held.compactMap { immediately ? Self.ended($0, at: now) : Self.handedOver($0, at: signsFrom, horizon: horizon) }
        }
        forgetLoaded()
        return key
    }

    /// A key that signs past `handOver`, retired then: it verifies until its last token expires.
    private static func handedOver(_ key: StoredSigningKey, at handOver: Date, horizon: Duration) -> StoredSigningKey? {
        guard key.signsUntil.map({ $0 > handOver }) ?? true else { return nil }
        var retired = key
        retired.signsUntil = handOver
        retired.verifiesUntil = handOver.addingTimeInterval(horizon.timeInterval)
        return retired
    }

    /// Any key still signing or verifying at `now`, ended now.
    private static func ended(_ key: StoredSigningKey, at now: Date) -> StoredSigningKey? {
        guard key.signsUntil.map({ $0 > now }) ?? true || key.verifiesUntil.map({ $0 > now }) ?? true else { return nil }
        var ended = key
        ended.signsUntil = min(key.signsUntil ?? now, now)
        ended.verifiesUntil = min(key.verifiesUntil ?? now, now)
        return ended
    }

    private func add(algorithm: SigningAlgorithm, signsFrom: Date) async throws -> StoredSigningKey {
        let stored = try newKey(algorithm: algorithm, signsFrom: signsFrom)
        try await store.insertSigningKey(stored)
        forgetLoaded()
        return stored
    }

    /// A new key, its private half sealed with the key-encryption key.
    private func newKey(algorithm: SigningAlgorithm, signsFrom: Date) throws -> StoredSigningKey {
        let key = try SigningKey.generate(algorithm)
        return StoredSigningKey(
            kid: key.kid,
            algorithm: algorithm,
            sealedPrivateKey: try encryption.seal(key.privateKeyBytes, context: Self.context(kid: key.kid, algorithm: algorithm)),
            createdAt: Date(epochSeconds: clock.now.epochSeconds),
            signsFrom: signsFrom
        )
    }

    /// Makes the next read go to the store.
    private func forgetLoaded() {
        loadedAt = nil
        verifying.withLock { $0 = nil }
    }

    private func current(now: Date) async throws -> SigningKey? {
        try await keys().last { $0.stored.signsFrom <= now && ($0.stored.signsUntil.map { now < $0 } ?? true) }?.key
    }

    private func keys() async throws -> [LoadedKey] {
        let now = clock.now
        if let loadedAt, now.timeIntervalSince(loadedAt) < Self.reloadInterval.timeInterval, now >= loadedAt { return loaded }
        let stored = try await store.signingKeys()
        var fresh: [LoadedKey] = []
        for record in stored {
            if let existing = loaded.first(where: { $0.stored.kid == record.kid }) {
                fresh.append(LoadedKey(stored: record, key: existing.key, verification: existing.verification))
                continue
            }
            guard let bytes = try? encryption.open(record.sealedPrivateKey, context: Self.context(kid: record.kid, algorithm: record.algorithm))
            else {
                throw KeyFileError(
                    "signing key \(record.kid) cannot be opened with this key file: every instance sharing a database needs the same --key-file"
                )
            }
            let key = try SigningKey(kid: record.kid, algorithm: record.algorithm, privateKeyBytes: bytes)
            fresh.append(LoadedKey(stored: record, key: key, verification: try await VerificationKey(key)))
        }
        loaded = fresh.sorted { ($0.stored.signsFrom, $0.stored.createdAt) < ($1.stored.signsFrom, $1.stored.createdAt) }
        loadedAt = now
        return loaded
    }

    private static func verifies(_ key: StoredSigningKey, at now: Date) -> Bool {
        key.verifiesUntil.map { now < $0 } ?? true
    }

    private static func context(kid: String, algorithm: SigningAlgorithm) -> String {
        "signing-key:\(kid):\(algorithm.rawValue)"
    }
}
