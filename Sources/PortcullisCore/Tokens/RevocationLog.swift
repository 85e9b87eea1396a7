#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Publishes revocations: every path that ends a session, a refresh family, a token or all of an
/// account's access goes through here, so verifiers learn of it from one feed.
public struct RevocationLog: Sendable {
    private let store: any RevocationStore
    private let horizon: Duration
    private let clock: any WallClock

    /// Creates the log. `horizon` is how long an entry matters: the longest an affected access
    /// token can still be valid (its lifetime plus leeway).
    public init(store: any RevocationStore, horizon: Duration, clock: any WallClock = SystemClock()) {
        self.store = store
        self.horizon = horizon
        self.clock = clock
    }

    /// Appends an entry for `id`.
    public func publish(_ kind: Revocation.Kind, id: String) async throws {
        let now = Date(epochSeconds: clock.now.epochSeconds)
        try await store.appendRevocation(Revocation(kind: kind, id: id, revokedAt: now, expiresAt: now.addingTimeInterval(horizon.timeInterval)))
    }

    /// Appends a `session` entry for each id.
    public func publishSessions(_ ids: [String]) async throws {
        for id in ids { try await publish(.session, id: id) }
    }
}
