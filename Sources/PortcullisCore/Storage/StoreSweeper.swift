public import Logging
public import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// A background service that deletes, at a fixed interval, what no longer matters: expired
/// sessions, revoked or expired refresh families (with their tokens), revocation entries past the
/// life of every token they could refuse, throttle attempts older than any window, expired
/// one-time tokens, and mail sent or abandoned more than a week ago. Stops on
/// graceful shutdown. Several instances may sweep one database: every deletion is idempotent.
public struct StoreSweeper: Service {
    /// How much one sweep deleted.
    public struct Swept: Sendable, Hashable {
        /// Expired sessions.
        public var sessions = 0
        /// Revoked or expired refresh families.
        public var refreshFamilies = 0
        /// Revocation entries past their horizon.
        public var revocations = 0
        /// Throttle attempts outside every window.
        public var attempts = 0
        /// Expired one-time tokens.
        public var oneTimeTokens = 0
        /// Sent or abandoned mail older than a week.
        public var mail = 0
    }

    private let store: any PortcullisStore
    private let throttle: CredentialThrottle?
    private let interval: Duration
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the sweeper.
    public init(
        store: any PortcullisStore,
        throttle: CredentialThrottle?,
        interval: Duration = .seconds(60),
        clock: any WallClock = SystemClock(),
        logger: Logger
    ) {
        self.store = store
        self.throttle = throttle
        self.interval = interval
        self.clock = clock
        self.logger = logger
    }

    /// Sweeps until cancelled or the service group shuts down.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let swept = try await sweep()
                if swept != Swept() {
                    logger.debug(
                        "store swept",
                        metadata: [
                            "portcullis.sessions": "\(swept.sessions)", "portcullis.refresh_families": "\(swept.refreshFamilies)",
                            "portcullis.revocations": "\(swept.revocations)", "portcullis.attempts": "\(swept.attempts)",
                        ]
                    )
                }
            } catch {
                logger.warning("store sweep failed", metadata: ["portcullis.error": "\(String(describing: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One sweep.
    public func sweep() async throws -> Swept {
        let now = clock.now
        var swept = Swept()
        swept.sessions = try await store.deleteExpiredSessions(now: now)
        swept.refreshFamilies = try await store.deleteEndedRefreshFamilies(now: now)
        swept.revocations = try await store.deleteExpiredRevocations(now: now)
        swept.attempts = try await throttle?.purge() ?? 0
        swept.oneTimeTokens = try await store.deleteExpiredOneTimeTokens(now: now)
        swept.mail = try await store.deleteFinishedMail(before: now.addingTimeInterval(-7 * 86400))
        return swept
    }
}
