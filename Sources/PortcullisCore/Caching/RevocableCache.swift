import PortcullisTokens
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// What a cached proof of identity belongs to, so a revocation can find it.
protocol RevocableEntry: Sendable {
    /// The session or refresh family (`sid`).
    var sessionID: String { get }
    /// The account.
    var accountID: String { get }
    /// The access token's `jti`, for entries that are one token.
    var tokenID: String? { get }
}

/// A bounded in-memory map of validated credentials (session secrets, bearer tokens) that forgets
/// whatever a revocation names: the engine of ``SessionCache`` and ``BearerCache``.
///
/// Built for many active users: entries are spread over shards, each behind its own lock, so
/// requests never queue on one; each shard evicts by CLOCK (``ClockCache``) in O(1); and each
/// indexes its entries by session, account and token, so a revocation touches only what it names.
/// Past its capacity the cache costs a request no more than its miss: a full shard lets a new key
/// in only on its second miss, so users seen once do not churn it.
///
/// A validation takes a ``readTicket()`` before reading the store and may store its result only
/// if no eviction began in between: otherwise a logout racing the read could be undone by caching
/// what it just ended. Nothing is stored or served except under a lease the
/// ``RevocationBroadcaster`` renews each time it has read the log, so a broadcaster that stops or
/// cannot read leaves the cache answering nothing within a second, never stale entries.
final class RevocableCache<Key: Hashable & Sendable, Entry: RevocableEntry>: Sendable {
    /// One lock's worth of entries, with their indexes.
    private struct Shard {
        var entries: ClockCache<Key, Entry>
        var bySession: [String: Set<Key>] = [:]
        var byAccount: [String: Set<Key>] = [:]
        var byToken: [String: Set<Key>] = [:]
        /// Which new keys a full shard lets in.
        var doorkeeper: Doorkeeper

        init(capacity: Int) {
            entries = ClockCache(capacity: capacity)
            doorkeeper = Doorkeeper(window: capacity)
        }

        mutating func removeAll() { self = Shard(capacity: entries.capacity) }

        /// Stores the entry, unless the shard is full and the key is new to its doorkeeper.
        mutating func insert(_ entry: Entry, for key: Key) {
            if let previous = entries.value(for: key) {
                unindex(previous, key: key)
            } else if entries.count >= entries.capacity, !doorkeeper.admit(key.hashValue) {
                return
            }
            if let evicted = entries.insert(entry, for: key) { unindex(evicted.value, key: evicted.key) }
            bySession[entry.sessionID, default: []].insert(key)
            byAccount[entry.accountID, default: []].insert(key)
            // A set: one `jti` can have several valid encodings (an ECDSA signature and its twin).
            if let token = entry.tokenID { byToken[token, default: []].insert(key) }
        }

        mutating func remove(_ key: Key) {
            guard let entry = entries.remove(key) else { return }
            unindex(entry, key: key)
        }

        mutating func removeAll(in keys: Set<Key>?) {
            for key in keys ?? [] { remove(key) }
        }

        private mutating func unindex(_ entry: Entry, key: Key) {
            bySession[entry.sessionID]?.remove(key)
            if bySession[entry.sessionID]?.isEmpty == true { bySession[entry.sessionID] = nil }
            byAccount[entry.accountID]?.remove(key)
            if byAccount[entry.accountID]?.isEmpty == true { byAccount[entry.accountID] = nil }
            if let token = entry.tokenID {
                byToken[token]?.remove(key)
                if byToken[token]?.isEmpty == true { byToken[token] = nil }
            }
        }
    }

    /// A shard behind its lock (a class, since a `Mutex` cannot be copied into an array).
    private final class LockedShard: Sendable {
        let state: Mutex<Shard>
        init(capacity: Int) { state = Mutex(Shard(capacity: capacity)) }
    }

    private let shards: [LockedShard]
    private let shardOf: @Sendable (Key) -> Int
    /// Incremented before an eviction removes anything; compared under the shard's lock when storing.
    private let evictions = Atomic<UInt64>(0)
    /// Until when (nanoseconds after `epoch`) entries may be stored and served.
    private let followedUntil = Atomic<Int64>(0)
    private let epoch = ContinuousClock.now
    /// The most entries kept.
    let capacity: Int

    /// An empty cache of `capacity` entries over `shards` locks; `shardOf` spreads keys over them.
    init(capacity: Int, shards: Int, shardOf: @escaping @Sendable (Key) -> Int) {
        self.capacity = max(1, capacity)
        let count = max(1, min(shards, self.capacity))
        let perShard = (self.capacity + count - 1) / count
        self.shards = (0..<count).map { _ in LockedShard(capacity: perShard) }
        self.shardOf = shardOf
    }

    var isFollowed: Bool { elapsed() < followedUntil.load(ordering: .acquiring) }

    func markFollowed(for lease: Duration) {
        let until = elapsed() + Self.nanoseconds(lease)
        var current = followedUntil.load(ordering: .relaxed)
        while current < until {
            let (exchanged, original) = followedUntil.compareExchange(expected: current, desired: until, ordering: .acquiringAndReleasing)
            if exchanged { break }
            current = original
        }
    }

    /// Forgets everything and stops serving until the next ``markFollowed(for:)``: what the
    /// broadcaster reads before it follows the log again must not meet a lease from its last run.
    func reset() {
        followedUntil.store(0, ordering: .releasing)
        removeEverywhere { $0.removeAll() }
    }

    private func elapsed() -> Int64 { Self.nanoseconds(ContinuousClock.now - epoch) }

    private static func nanoseconds(_ duration: Duration) -> Int64 {
        let (seconds, attoseconds) = duration.components
        return seconds &* 1_000_000_000 &+ attoseconds / 1_000_000_000
    }

    func readTicket() -> UInt64 { evictions.load(ordering: .acquiring) }

    /// The entry for `key` if `isFresh` says it may still be used; a stale entry is dropped.
    func lookup(_ key: Key, isFresh: (Entry) -> Bool) -> Entry? {
        guard isFollowed else { return nil }
        return shard(for: key).state.withLock { shard in
            guard let entry = shard.entries.value(for: key) else { return nil }
            guard isFresh(entry) else {
                shard.remove(key)
                return nil
            }
            return entry
        }
    }

    /// Remembers `entry` (once followed), unless an eviction began since `ticket` was taken. A
    /// full shard admits a key only on its second miss (``Doorkeeper``).
    /// - Returns: `false` when the entry could not be kept because the cache is not followed or an
    ///   eviction began since `ticket`: reads made under that ticket are of no use to the cache.
    @discardableResult
    func store(_ entry: Entry, for key: Key, readSince ticket: UInt64) -> Bool {
        guard isFollowed else { return false }
        return shard(for: key).state.withLock { shard in
            // Under the lock: an eviction that has not begun yet will find this entry and remove it.
            guard evictions.load(ordering: .acquiring) == ticket else { return false }
            shard.insert(entry, for: key)
            return true
        }
    }

    /// Forgets `key` alone.
    func remove(_ key: Key) {
        shard(for: key).state.withLock { $0.remove(key) }
    }

    /// Forgets what a revocation entry names: a session or refresh family, an account, a token.
    func evict(_ revocation: Revocation) {
        switch revocation.kind {
        case .session: removeEverywhere { $0.removeAll(in: $0.bySession[revocation.id]) }
        case .user: forget(accountID: revocation.id)
        case .token: removeEverywhere { $0.removeAll(in: $0.byToken[revocation.id]) }
        }
    }

    /// Forgets every entry of the account.
    func forget(accountID: String) {
        removeEverywhere { $0.removeAll(in: $0.byAccount[accountID]) }
    }

    var count: Int { shards.reduce(0) { total, shard in total + shard.state.withLock { $0.entries.count } } }

    private func shard(for key: Key) -> LockedShard { shards[shardOf(key) % shards.count] }

    private func removeEverywhere(_ removal: (inout Shard) -> Void) {
        evictions.add(1, ordering: .acquiringAndReleasing)
        for shard in shards { shard.state.withLock { removal(&$0) } }
    }
}
