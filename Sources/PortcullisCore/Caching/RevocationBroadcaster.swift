public import Logging
public import ServiceLifecycle
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Reads the revocation log once for the whole instance and hands each new entry to everyone
/// who needs it: the instance's caches (``SessionCache``, ``BearerCache``), which forget what it
/// names, and every revocation stream a verifier holds open.
///
/// The store is read when something says an entry may be new: a revocation made by this instance
/// (the broadcaster is one of its ``RevocationListener``s), or the store's own signal (PostgreSQL's
/// `LISTEN/NOTIFY`, for entries other instances append); a slow poll is the safety net for writers
/// that signal nothing (the command line on a SQLite file). However many streams are open, the
/// store sees one read per new batch.
///
/// Entries still in force stay in memory (the newest ``retainedEntries`` of them), so a stream
/// serves them without a query; a stream that starts further back reads the store until it
/// catches up. The caches start empty, so entries read at start-up cost them nothing.
public final class RevocationBroadcaster: Service, RevocationListener {
    private struct State {
        /// Entries read so far, oldest first (at most `retainedEntries`).
        var recent: [Revocation] = []
        /// Every entry after this cursor is in `recent` (or has not been read yet).
        var floor: Int64 = 0
        /// The newest cursor read.
        var cursor: Int64 = 0
        var started = false
        var subscribers: [UInt64: AsyncStream<Void>.Continuation] = [:]
        var nextSubscriber: UInt64 = 0
        /// Wakes the current run to read the store.
        var wakeUp: AsyncStream<Void>.Continuation?
        /// When the log was last read to its end.
        var lastRead: ContinuousClock.Instant?
    }

    private let store: any RevocationStore
    private let caches: [any RevocationListener]
    private let safetyPoll: Duration
    private let logger: Logger
    private let state = Mutex(State())
    /// How many recent entries are served from memory.
    public let retainedEntries: Int
    /// How long a read of the log vouches for what the caches and the memory hold: past it
    /// (reads failing or stuck), caches serve nothing and streams and pages read the store.
    public var lease: Duration { max(.seconds(1), safetyPoll * 5) }

    /// Creates the broadcaster.
    /// - Parameters:
    ///   - caches: the instance's caches, told of every entry read.
    ///   - safetyPoll: how often the store is read even when nothing signalled a new entry.
    public init(
        store: any RevocationStore,
        caches: [any RevocationListener],
        safetyPoll: Duration = .milliseconds(200),
        retainedEntries: Int = 10_000,
        logger: Logger
    ) {
        self.store = store
        self.caches = caches
        self.safetyPoll = safetyPoll
        self.retainedEntries = max(1, retainedEntries)
        self.logger = logger
    }

    /// Reads new entries whenever woken, until cancelled or the service group shuts down. It may
    /// run again afterwards (an application restarted in the same process).
    public func run() async throws {
        let (wakeUps, wakeUp) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        state.withLock { $0.wakeUp = wakeUp }
        defer {
            state.withLock { state in
                state.wakeUp = nil
                state.started = false  // until read afresh, streams read the store
                state.lastRead = nil
            }
        }
        // Whatever the caches hold predates this run: entries revoked meanwhile are not re-read.
        for cache in caches { cache.reset() }
        try await loadRecentEntries()
        for cache in caches { cache.markFollowed(for: lease) }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.listenToStore() }
                group.addTask { await self.tick() }
                group.addTask {
                    var iterator = wakeUps.makeAsyncIterator()
                    repeat {
                        await self.readNewEntries()
                    } while await iterator.next() != nil && !Task.isCancelled
                }
                await group.next()
                group.cancelAll()
            }
        }
        let subscribers = state.withLock { state in
            defer { state.subscribers = [:] }
            return state.subscribers.values
        }
        for subscriber in subscribers { subscriber.finish() }
    }

    // MARK: RevocationListener: what this instance revokes wakes the broadcaster at once.

    public func markFollowed(for lease: Duration) {}

    public func reset() {}

    public func evict(_ revocation: Revocation) { wake() }

    public func forget(accountID: String) {}

    // MARK: Streams

    /// A signal after every read of the store (new entries or not, at least every `safetyPoll`),
    /// for one stream; it ends when the broadcaster stops.
    public func subscribe() -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let id: UInt64? = state.withLock { state in
            guard state.wakeUp != nil else { return nil }
            defer { state.nextSubscriber += 1 }
            state.subscribers[state.nextSubscriber] = continuation
            return state.nextSubscriber
        }
        guard let id else {
            // Not running: the stream ends at once rather than wait for signals that never come.
            continuation.finish()
            return stream
        }
        continuation.onTermination = { [weak self] _ in
            _ = self?.state.withLock { $0.subscribers.removeValue(forKey: id) }
        }
        return stream
    }

    /// Entries after `cursor` still in force at `now`, oldest first, at most `limit`: from memory
    /// when the broadcaster holds them, otherwise from the store.
    public func entries(after cursor: Int64, now: Date, limit: Int = 1000) async throws -> [Revocation] {
        let lease = self.lease
        let held: [Revocation]? = state.withLock { state in
            // Memory answers only while reads of the log succeed: a broadcaster that cannot read
            // must not tell a verifier "nothing new".
            guard state.started, cursor >= state.floor, let lastRead = state.lastRead, ContinuousClock.now - lastRead < lease else { return nil }
            guard cursor < state.cursor else { return [] }
            // Entries are in cursor order: find the first one after `cursor`.
            var low = 0
            var high = state.recent.count
            while low < high {
                let middle = (low + high) / 2
                if state.recent[middle].cursor <= cursor { low = middle + 1 } else { high = middle }
            }
            return Array(state.recent[low...].lazy.filter { $0.expiresAt > now }.prefix(limit))
        }
        if let held { return held }
        return try await store.revocations(after: cursor, now: now, limit: limit)
    }

    /// The number of streams open.
    public var subscriberCount: Int { state.withLock { $0.subscribers.count } }

    // MARK: Reading

    private func readNewEntries() async {
        do {
            while true {
                let cursor = state.withLock { $0.cursor }
                let page = try await store.revocations(after: cursor, now: Date(), limit: 1000)
                for entry in page {
                    for cache in caches { cache.evict(entry) }
                }
                let subscribers = state.withLock { state in
                    if let last = page.last {
                        state.recent.append(contentsOf: page)
                        state.cursor = last.cursor
                        let excess = state.recent.count - retainedEntries
                        if excess > 0 {
                            state.floor = state.recent[excess - 1].cursor
                            state.recent.removeFirst(excess)
                        }
                    }
                    if page.count < 1000 { state.lastRead = .now }
                    return Array(state.subscribers.values)
                }
                for subscriber in subscribers { subscriber.yield() }
                if page.count < 1000 {
                    for cache in caches { cache.markFollowed(for: lease) }
                    return
                }
            }
        } catch {
            logger.warning("revocation log unreadable", metadata: ["portcullis.error": "\(String(describing: error))"])
        }
    }

    private func wake() {
        _ = state.withLock { $0.wakeUp }?.yield()
    }

    /// The safety net: a read every `safetyPoll`, whatever signals arrive.
    private func tick() async {
        while !Task.isCancelled {
            try? await Task.sleep(for: safetyPoll)
            wake()
        }
    }

    /// Wakes the broadcaster whenever the store says another writer appended an entry.
    private func listenToStore() async {
        while !Task.isCancelled {
            do {
                try await store.watchRevocations { self.wake() }
            } catch {
                // Shutting down ends the watch with a cancellation: nothing was lost.
                if error is CancellationError || Task.isCancelled { return }
                logger.warning("revocation signal lost; polling meanwhile", metadata: ["portcullis.error": "\(String(describing: error))"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Reads every entry still in force (the newest `retainedEntries` of them stay in memory), so
    /// streams that resume from any recent cursor are served without a query.
    private func loadRecentEntries() async throws {
        var cursor: Int64 = 0
        var recent: [Revocation] = []
        var floor: Int64 = 0
        while true {
            let page = try await store.revocations(after: cursor, now: Date(), limit: 1000)
            guard let last = page.last else { break }
            recent.append(contentsOf: page)
            cursor = last.cursor
            if recent.count > retainedEntries {
                let excess = recent.count - retainedEntries
                floor = recent[excess - 1].cursor
                recent.removeFirst(excess)
            }
        }
        state.withLock { state in
            state.recent = recent
            state.floor = floor
            state.cursor = cursor
            state.started = true
            state.lastRead = .now
        }
    }
}
