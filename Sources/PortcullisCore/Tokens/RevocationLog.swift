#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Stamps and publishes revocations: every path that ends a session, a refresh family, a token or
/// all of an account's access goes through here (or through ``AccessStore``, with one of its
/// stamps), so verifiers learn of it from one feed.
public struct RevocationLog: Sendable {
    private let store: any RevocationStore
    private let horizon: Duration
    private let clock: any WallClock

    /// Creates the log. `horizon` is how long an entry matters: the longest an affected access
    /// token can still be accepted (its lifetime plus the most lenient verifier's leeway).
    public init(store: any RevocationStore, horizon: Duration, clock: any WallClock = SystemClock()) {
        self.store = store
        self.horizon = horizon
        self.clock = clock
    }

    /// The stamp of a revocation happening now.
    public func stamp() -> RevocationStamp {
        let now = Date(epochSeconds: clock.now.epochSeconds)
        return RevocationStamp(revokedAt: now, expiresAt: now.addingTimeInterval(horizon.timeInterval))
    }

    /// Appends an entry for `id` (idempotent: an entry already held is not repeated).
    /// - Returns: the entry, for this instance's caches to evict at once.
    @discardableResult
    public func publish(_ kind: Revocation.Kind, id: String) async throws -> Revocation {
        let entry = stamp().entry(kind, id: id)
        _ = try await store.appendRevocation(entry)
        return entry
    }
}
