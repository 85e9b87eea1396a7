import Foundation
import Logging
import PortcullisCore
import PortcullisSQLite
import PortcullisTesting
import Synchronization
import Testing

/// One reader of the revocation log per instance, however many streams are open.
@Suite("Revocation broadcaster")
struct RevocationBroadcasterTests {
    /// A real SQLite store that counts the reads of the log, and can be made to fail them.
    final class CountingStore: RevocationStore {
        struct Unreadable: Error {}
        let store: SQLiteStore
        let reads = Mutex(0)
        let failing = Mutex(false)
        init(_ store: SQLiteStore) { self.store = store }

        func appendRevocation(_ entry: Revocation) async throws -> Revocation { try await store.appendRevocation(entry) }
        func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
            reads.withLock { $0 += 1 }
            if failing.withLock({ $0 }) { throw Unreadable() }
            return try await store.revocations(after: cursor, now: now, limit: limit)
        }
        func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
            try await store.isRevoked(tokenID: tokenID, sessionID: sessionID, accountID: accountID, issuedAt: issuedAt)
        }
        func latestUserRevocation(accountID: String) async throws -> Date? { try await store.latestUserRevocation(accountID: accountID) }
        func deleteExpiredRevocations(now: Date) async throws -> Int { try await store.deleteExpiredRevocations(now: now) }
    }

    final class Counter: Sendable {
        let value = Mutex(0)
        func increment() { value.withLock { $0 += 1 } }
        var count: Int { value.withLock { $0 } }
    }

    static func entry(_ id: String) -> Revocation {
        Revocation(kind: .session, id: id, revokedAt: Date(), expiresAt: Date().addingTimeInterval(600))
    }

    @Test func aThousandStreamsCostTheStoreNoMoreReadsThanNone() async throws {
        let directory = try TemporaryDirectory()
        let sqlite = try await SQLiteStore.open(path: directory.path("log.sqlite"))
        try await sqlite.migrate()
        let store = CountingStore(sqlite)
        _ = try await store.appendRevocation(Self.entry("before-start"))
        // A cache to tell when the broadcaster runs: it marks its caches once it has read the log
        // (streams opened before that would end at once).
        let probe = SessionCache()
        let broadcaster = RevocationBroadcaster(store: store, caches: [probe], safetyPoll: .milliseconds(400), logger: Logger(label: "test"))
        let running = Task { try await broadcaster.run() }
        defer { running.cancel() }
        while !probe.isFollowed { try await Task.sleep(for: .milliseconds(5)) }

        // A thousand streams, each waiting for an entry appended after they started.
        let delivered = Counter()
        let streams = (0..<1000).map { _ in
            let signals = broadcaster.subscribe()
            return Task {
                var cursor: Int64 = 0
                var seen: Set<String> = []
                for await _ in signals {
                    for entry in try await broadcaster.entries(after: cursor, now: Date()) {
                        seen.insert(entry.id)
                        cursor = entry.cursor
                    }
                    if seen.contains("late") { break }
                }
                #expect(seen.contains("before-start"), "a stream starting at 0 gets what was logged before")
                delivered.increment()
            }
        }
        while broadcaster.subscriberCount < 1000 { try await Task.sleep(for: .milliseconds(5)) }

        let readsBefore = store.reads.withLock { $0 }
        try await Task.sleep(for: .seconds(1))
        let idleReads = store.reads.withLock { $0 } - readsBefore
        // The broadcaster polls every 400 ms; the streams, served from memory, add nothing.
        #expect(idleReads <= 15, "\(idleReads) reads of the log in a second with 1,000 streams open")
        #expect(delivered.count == 0)

        // An entry appended here wakes the broadcaster at once and reaches every stream.
        _ = try await store.appendRevocation(Self.entry("late"))
        broadcaster.evict(Self.entry("late"))
        for stream in streams { _ = await stream.result }
        #expect(delivered.count == 1000)
        try await sqlite.close()
    }

    @Test func whenTheLogCannotBeReadNothingIsServedFromMemory() async throws {
        let directory = try TemporaryDirectory()
        let sqlite = try await SQLiteStore.open(path: directory.path("log.sqlite"))
        try await sqlite.migrate()
        let store = CountingStore(sqlite)
        let cache = SessionCache()
        let broadcaster = RevocationBroadcaster(store: store, caches: [cache], safetyPoll: .milliseconds(50), logger: Logger(label: "test"))
        let running = Task { try await broadcaster.run() }
        defer { running.cancel() }
        while !cache.isFollowed { try await Task.sleep(for: .milliseconds(5)) }
        #expect(try await broadcaster.entries(after: 0, now: Date()).isEmpty)
        store.failing.withLock { $0 = true }
        // Past the lease (1 s), a caught-up reader is no longer told "nothing new" from memory:
        // it gets the store's error, and the caches stop serving.
        try await Task.sleep(for: broadcaster.lease + .milliseconds(300))
        await #expect(throws: CountingStore.Unreadable.self) { try await broadcaster.entries(after: 0, now: Date()) }
        #expect(!cache.isFollowed)
        store.failing.withLock { $0 = false }
        let deadline = ContinuousClock.now + .seconds(30)
        while !cache.isFollowed, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(10)) }
        #expect(cache.isFollowed, "reads that succeed again renew the lease")
        try await sqlite.close()
    }

    @Test func itFeedsTheCachesWhatItReads() async throws {
        let store = MemoryStore()
        let cache = SessionCache()
        let broadcaster = RevocationBroadcaster(store: store, caches: [cache], safetyPoll: .milliseconds(20), logger: Logger(label: "test"))
        let running = Task { try await broadcaster.run() }
        defer { running.cancel() }
        while !cache.isFollowed { try await Task.sleep(for: .milliseconds(5)) }
        _ = try await store.appendRevocation(Self.entry("s1"))
        let deadline = ContinuousClock.now + .seconds(30)
        while try await broadcaster.entries(after: 0, now: Date()).isEmpty, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        #expect(try await broadcaster.entries(after: 0, now: Date()).map(\.id) == ["s1"])
    }
}
