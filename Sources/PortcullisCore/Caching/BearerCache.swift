import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Bearer tokens already checked by this server (signature, claims, revocation, account), kept in
/// memory so a client that sends the same token on every request costs a lookup, not a signature
/// check and two store reads.
///
/// An entry lives at most ``lifetime`` (so a change to the account shows within it), never past
/// its token's `exp`, and only while the key that signed the token still verifies (an emergency
/// rotation ends its tokens here too). The ``RevocationBroadcaster`` evicts what the revocation log
/// names (a token, a session or refresh family, an account) on every instance as soon as it
/// reads the log; a revocation made by this instance evicts at once.
public final class BearerCache: Sendable {
    struct Entry: RevocableEntry {
        let claims: AccessTokenClaims
        let account: Account
        let keyID: String
        let cachedAt: Date
        var sessionID: String { claims.sessionID }
        var accountID: String { claims.subject }
        var tokenID: String? { claims.tokenID }
    }

    private let entries: RevocableCache<String, Entry>
    /// How long an entry may be used without asking the store again.
    public let lifetime: Duration

    /// The default capacity. An entry (the token itself, its claims and the account) takes about
    /// 1.5 KB, so a full cache takes about 75 MB.
    public static let defaultCapacity = 50_000

    /// Creates an empty cache.
    public init(lifetime: Duration = .seconds(30), capacity: Int = BearerCache.defaultCapacity, shards: Int = 16) {
        self.lifetime = lifetime
        // The signature's last characters spread tokens evenly, and cost nothing to read.
        self.entries = RevocableCache(capacity: capacity, shards: shards) { token in
            token.utf8.suffix(4).reduce(0) { $0 &* 31 &+ Int($1) } & Int.max
        }
    }

    /// What `token` was checked as, if that is still good at `now` with these verification keys.
    func lookup(_ token: String, now: Date, keys: [String: VerificationKey], leeway: Duration) -> Entry? {
        // Strings compare by canonical equivalence: only ASCII (all a real token is) compares
        // byte for byte, so another spelling of a cached token never hits.
        guard token.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        let lifetime = lifetime.timeInterval
        let current = now.timeIntervalSince1970
        return entries.lookup(token) { entry in
            now.timeIntervalSince(entry.cachedAt) < lifetime && now >= entry.cachedAt
                && Double(entry.claims.expiresAt) > current - leeway.timeInterval
                && keys[entry.keyID] != nil
        }
    }

    func readTicket() -> UInt64 { entries.readTicket() }

    func store(_ entry: Entry, for token: String, readSince ticket: UInt64) {
        entries.store(entry, for: token, readSince: ticket)
    }

    /// Called by the broadcaster each time it has read the log: entries may be used for `lease` more.
    public func markFollowed(for lease: Duration) { entries.markFollowed(for: lease) }

    /// Forgets every entry (the broadcaster follows the log from a new point).
    public func reset() { entries.reset() }

    /// Whether a ``RevocationBroadcaster`` keeps the cache honest (until then nothing is kept).
    public var isFollowed: Bool { entries.isFollowed }

    /// Forgets what a revocation entry names.
    public func evict(_ revocation: Revocation) { entries.evict(revocation) }

    /// Forgets every token of the account (a change that shows in its tokens' answers).
    public func forget(accountID: String) { entries.forget(accountID: accountID) }

    /// How many tokens are held.
    public var count: Int { entries.count }
}
