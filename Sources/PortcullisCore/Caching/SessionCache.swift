#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Recently validated sessions, kept in memory so a busy session costs no store read per
/// request, and forgotten the moment the revocation log names their session or account.
///
/// An entry lives at most ``lifetime`` and never past its session's expiry; the
/// ``RevocationBroadcaster`` evicts revoked sessions on every instance as soon as it reads the log
/// (at once on PostgreSQL, which signals new entries; within 200 ms otherwise).
/// Lookups take one of several locks and cost O(1) however many users are active; when full, a
/// session not used lately makes room (see `RevocableCache`).
public final class SessionCache: Sendable {
    /// The secret's hash, as a key that hashes and compares as four machine words.
    struct Key: Hashable, Sendable {
        let words: (UInt64, UInt64, UInt64, UInt64)

        init(_ hash: [UInt8]) {
            var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
            withUnsafeMutableBytes(of: &words) { target in
                hash.withUnsafeBytes { source in target.copyMemory(from: UnsafeRawBufferPointer(rebasing: source.prefix(32))) }
            }
            self.words = words
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.words == rhs.words }

        // SHA-256 output is uniform: two words identify it well enough to hash.
        func hash(into hasher: inout Hasher) {
            hasher.combine(words.0)
            hasher.combine(words.1)
        }
    }

    struct Entry: RevocableEntry {
        let validated: SessionManager.Validated
        let cachedAt: Date
        var sessionID: String { validated.session.id }
        var accountID: String { validated.account.id }
        var tokenID: String? { nil }
    }

    private let entries: RevocableCache<Key, Entry>
    /// How long an entry may be used without asking the store again.
    public let lifetime: Duration
    /// The most entries kept; when full, an entry not used lately makes room.
    public var capacity: Int { entries.capacity }

    /// The default capacity. An entry (an account with two roles, a session with a browser's
    /// `User-Agent`, and the indexes) takes about 1 KB, so a full cache takes about 100 MB.
    public static let defaultCapacity = 100_000

    /// Creates an empty cache.
    /// - Parameter shards: how many locks the entries are spread over.
    public init(lifetime: Duration = .seconds(30), capacity: Int = SessionCache.defaultCapacity, shards: Int = 16) {
        self.lifetime = lifetime
        self.entries = RevocableCache(capacity: capacity, shards: shards) { key in Int(truncatingIfNeeded: key.words.3 >> 1) }
    }

    /// Whether a ``RevocationBroadcaster`` is keeping the cache honest; until then nothing is kept,
    /// so no entry can miss a revocation published before the broadcaster started.
    public var isFollowed: Bool { entries.isFollowed }

    /// The cached validation of the secret with this hash, if fresh at `now`.
    public func lookup(secretHash: [UInt8], now: Date) -> SessionManager.Validated? {
        let lifetime = lifetime.timeInterval
        return entries.lookup(Key(secretHash)) { entry in
            now.timeIntervalSince(entry.cachedAt) < lifetime && now >= entry.cachedAt && !entry.validated.session.isExpired(at: now)
        }?.validated
    }

    /// Called by the broadcaster each time it has read the log: entries may be used for `lease` more.
    public func markFollowed(for lease: Duration) { entries.markFollowed(for: lease) }

    /// Forgets every entry (the broadcaster follows the log from a new point).
    public func reset() { entries.reset() }

    /// A mark to take before reading the store, to hand back to ``store(_:now:readSince:)``.
    public func readTicket() -> UInt64 { entries.readTicket() }

    /// Remembers a validation (once the cache is followed), unless an eviction began since
    /// `ticket` was taken: the store read it comes from may predate that eviction. When full, the
    /// cache lets a session in only on its second miss.
    /// - Returns: `false` when the cache is not followed or an eviction began since `ticket`.
    @discardableResult
    public func store(_ validated: SessionManager.Validated, now: Date, readSince ticket: UInt64) -> Bool {
        entries.store(Entry(validated: validated, cachedAt: now), for: Key(validated.session.secretHash), readSince: ticket)
    }

    /// Forgets what a revocation entry names: a session, or every session of an account.
    public func evict(_ revocation: Revocation) { entries.evict(revocation) }

    /// Forgets every entry of the account, so the next request reads it afresh: for a change that
    /// ends nothing but shows in the account (its address confirmed).
    public func forget(accountID: String) { entries.forget(accountID: accountID) }

    /// How many entries are held.
    public var count: Int { entries.count }
}
