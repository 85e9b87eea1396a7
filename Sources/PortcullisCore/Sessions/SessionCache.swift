#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Recently validated sessions, kept in memory so a busy session costs no store read per
/// request, and forgotten the moment the revocation log names their session or account.
///
/// An entry lives at most ``lifetime`` and never past its session's expiry; the
/// ``RevocationFollower`` evicts revoked sessions within its poll interval, on every instance.
public actor SessionCache {
    private struct Entry {
        let validated: SessionManager.Validated
        let cachedAt: Date
    }

    private var entries: [[UInt8]: Entry] = [:]
    /// How many evictions there have been. A validation notes it before reading the store and may
    /// cache its result only if no eviction happened in between: otherwise a logout racing the
    /// read could be undone by caching the session it just deleted.
    private var evictions: UInt64 = 0
    /// Whether a ``RevocationFollower`` is keeping the cache honest; until then nothing is kept,
    /// so no entry can miss a revocation published before the follower started.
    public private(set) var isFollowed = false
    /// How long an entry may be used without asking the store again.
    public let lifetime: Duration
    /// The most entries kept; the oldest go first.
    public let capacity: Int

    /// Creates an empty cache.
    public init(lifetime: Duration = .seconds(30), capacity: Int = 10_000) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    /// The cached validation of the secret with this hash, if fresh at `now`.
    public func lookup(secretHash: [UInt8], now: Date) -> SessionManager.Validated? {
        guard let entry = entries[secretHash] else { return nil }
        guard now.timeIntervalSince(entry.cachedAt) < lifetime.timeInterval, now >= entry.cachedAt, !entry.validated.session.isExpired(at: now) else {
            entries[secretHash] = nil
            return nil
        }
        return entry.validated
    }

    /// Called by the follower once it reads the log from its current end.
    public func markFollowed() { isFollowed = true }

    /// A mark to take before reading the store, to hand back to ``store(_:now:readSince:)``.
    public func readTicket() -> UInt64 { evictions }

    /// Remembers a validation (once the cache is followed), unless an eviction happened since
    /// `ticket` was taken: the store read it comes from may predate that eviction.
    public func store(_ validated: SessionManager.Validated, now: Date, readSince ticket: UInt64) {
        guard isFollowed, ticket == evictions else { return }
        if entries.count >= capacity, let oldest = entries.min(by: { $0.value.cachedAt < $1.value.cachedAt })?.key {
            entries[oldest] = nil
        }
        entries[validated.session.secretHash] = Entry(validated: validated, cachedAt: now)
    }

    /// Forgets what a revocation entry names: a session, or every session of an account.
    public func evict(_ revocation: Revocation) {
        switch revocation.kind {
        case .session: entries = entries.filter { $0.value.validated.session.id != revocation.id }
        case .user: entries = entries.filter { $0.value.validated.account.id != revocation.id }
        case .token: return
        }
        evictions &+= 1
    }

    /// Forgets every entry of the account, so the next request reads it afresh: for a change that
    /// ends nothing but shows in the account (its address confirmed).
    public func forget(accountID: String) {
        entries = entries.filter { $0.value.validated.account.id != accountID }
        evictions &+= 1
    }

    /// How many entries are held.
    public var count: Int { entries.count }
}
