import PortcullisTokens
import Synchronization

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Tokens already verified, keyed by the exact token string, so a client that sends the same
/// token on every request pays for one signature check.
///
/// Bounded, and O(1) per operation however full: when full, a token not presented since the
/// last sweep makes room (``ClockCache``), so a service with more live tokens than the capacity
/// pays for a signature check on a miss and nothing more. An entry dies at its token's `exp`
/// (dropped when next met); entries whose token was revoked, or whose signing key the issuer
/// withdrew, are dropped when the verifier next meets them (it checks both on every hit, so each
/// entry remembers its key's `kid`).
final class VerifiedTokenCache: Sendable {
    /// A verified token: who it speaks for, and the key that signed it.
    struct Entry: Sendable {
        let identity: VerifiedIdentity
        let keyID: String
    }

    private let entries: Mutex<ClockCache<String, Entry>>?

    init(capacity: Int) {
        self.entries = capacity > 0 ? Mutex(ClockCache(capacity: capacity)) : nil
    }

    var count: Int { entries?.withLock { $0.count } ?? 0 }

    /// What `token` was verified as, unless it has expired by `now` (then it is dropped).
    func entry(for token: String, now: Date) -> Entry? {
        // Strings compare by canonical equivalence: only ASCII (all a real token is) compares
        // byte for byte, so another spelling of a cached token never hits.
        guard token.utf8.allSatisfy({ $0 < 0x80 }) else { return nil }
        return entries?.withLock { entries in
            guard let entry = entries.value(for: token) else { return nil }
            guard entry.identity.expiresAt > now else {
                entries.remove(token)
                return nil
            }
            return entry
        }
    }

    /// Remembers that `token`, signed by the key `keyID`, verified as `identity`.
    func insert(_ token: String, identity: VerifiedIdentity, keyID: String) {
        entries?.withLock { _ = $0.insert(Entry(identity: identity, keyID: keyID), for: token) }
    }

    /// Forgets `token` (revoked, or its key withdrawn).
    func remove(_ token: String) {
        entries?.withLock { _ = $0.remove(token) }
    }
}
