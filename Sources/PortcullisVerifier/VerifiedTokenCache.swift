#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Tokens already verified, keyed by the exact token string, so a client that sends the same
/// token on every request pays for one signature check. Bounded: when full, expired entries go
/// first, then the oldest inserted. An entry dies at its token's `exp`; entries whose token was
/// revoked, or whose signing key the issuer withdrew, are dropped when the verifier next meets
/// them (it checks both on every hit, so each entry remembers its key's `kid`).
final class VerifiedTokenCache: Sendable {
    /// A verified token: who it speaks for, and the key that signed it.
    struct Entry: Sendable {
        let identity: VerifiedIdentity
        let keyID: String
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Insertion order, for evicting the oldest when no entry has expired.
        var order: [String] = []
        var orderStart = 0
    }

    private let state = Mutex(State())
    let capacity: Int

    init(capacity: Int) {
        self.capacity = max(0, capacity)
    }

    var count: Int { state.withLock { $0.entries.count } }

    /// What `token` was verified as, unless it has expired by `now` (then it is dropped).
    func entry(for token: String, now: Date) -> Entry? {
        state.withLock { state in
            guard let entry = state.entries[token] else { return nil }
            guard entry.identity.expiresAt > now else {
                state.entries[token] = nil
                return nil
            }
            return entry
        }
    }

    /// Remembers that `token`, signed by the key `keyID`, verified as `identity`.
    func insert(_ token: String, identity: VerifiedIdentity, keyID: String, now: Date) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.entries[token] == nil else { return }
            if state.entries.count >= capacity { Self.evict(&state, now: now, capacity: capacity) }
            state.entries[token] = Entry(identity: identity, keyID: keyID)
            state.order.append(token)
            // Entries removed on expiry or revocation leave their place in the order behind.
            if state.order.count - state.orderStart > 2 * capacity { Self.compactOrder(&state) }
        }
    }

    /// Forgets `token` (revoked, or its key withdrawn).
    func remove(_ token: String) {
        state.withLock { _ = $0.entries.removeValue(forKey: token) }
    }

    private static func evict(_ state: inout State, now: Date, capacity: Int) {
        state.entries = state.entries.filter { $0.value.identity.expiresAt > now }
        while state.entries.count >= capacity, state.orderStart < state.order.count {
            state.entries[state.order[state.orderStart]] = nil
            state.orderStart += 1
        }
        compactOrder(&state)
    }

    /// Keeps only tokens still cached in the order list, oldest first.
    private static func compactOrder(_ state: inout State) {
        state.order = state.order[state.orderStart...].filter { state.entries[$0] != nil }
        state.orderStart = 0
    }
}
