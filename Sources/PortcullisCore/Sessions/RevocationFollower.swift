#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
public import Logging
public import ServiceLifecycle

/// Follows the revocation log in the store and evicts what it names from this instance's
/// ``SessionCache``: how a logout on one instance reaches the caches of all the others.
public struct RevocationFollower: Service {
    private let store: any RevocationStore
    private let cache: SessionCache
    private let interval: Duration
    private let logger: Logger

    /// Creates the follower; `interval` bounds how stale another instance's cache can be.
    public init(store: any RevocationStore, cache: SessionCache, interval: Duration = .milliseconds(200), logger: Logger) {
        self.store = store
        self.cache = cache
        self.interval = interval
        self.logger = logger
    }

    /// Polls until cancelled or the service group shuts down.
    public func run() async throws {
        var cursor = try await latestCursor()
        await cache.markFollowed()
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                for entry in try await store.revocations(after: cursor, now: Date(), limit: 1000) {
                    await cache.evict(entry)
                    cursor = entry.cursor
                }
            } catch {
                logger.warning("revocation log unreadable", metadata: ["portcullis.error": "\(String(describing: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// The newest cursor: entries before it concern nothing this (empty) cache holds.
    private func latestCursor() async throws -> Int64 {
        var cursor: Int64 = 0
        while true {
            let page = try await store.revocations(after: cursor, now: Date(), limit: 1000)
            guard let last = page.last else { return cursor }
            cursor = last.cursor
        }
    }
}
