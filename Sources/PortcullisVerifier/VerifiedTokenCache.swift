#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
import Synchronization

/// Tokens already verified, keyed by the exact token string, so a client that sends the same
/// token on every request pays for one signature check. Bounded: when full, expired entries go
/// first, then the oldest inserted. An entry dies at its token's `exp`; revoked entries are
/// dropped when the verifier next meets them (it checks revocation on every hit).
final class VerifiedTokenCache: Sendable {
    private struct State {
        var entries: [String: VerifiedIdentity] = [:]
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

    /// The identity `token` was verified as, unless it has expired by `now` (then it is dropped).
    func identity(for token: String, now: Date) -> VerifiedIdentity? {
        state.withLock { state in
            guard let identity = state.entries[token] else { return nil }
            guard identity.expiresAt > now else {
                state.entries[token] = nil
                return nil
            }
            return identity
        }
    }

    /// Remembers that `token` verified as `identity`.
    func insert(_ token: String, identity: VerifiedIdentity, now: Date) {
        guard capacity > 0 else { return }
        state.withLock { state in
            guard state.entries[token] == nil else { return }
            if state.entries.count >= capacity { Self.evict(&state, now: now, capacity: capacity) }
            state.entries[token] = identity
            state.order.append(token)
            // Entries removed on expiry or revocation leave their place in the order behind.
            if state.order.count - state.orderStart > 2 * capacity { Self.compactOrder(&state) }
        }
    }

    /// Forgets `token` (revoked).
    func remove(_ token: String) {
        state.withLock { _ = $0.entries.removeValue(forKey: token) }
    }

    private static func evict(_ state: inout State, now: Date, capacity: Int) {
        state.entries = state.entries.filter { $0.value.expiresAt > now }
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
