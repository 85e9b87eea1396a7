public import Logging
public import ServiceLifecycle

/// A background service that deletes expired sessions at a fixed interval, and stops on graceful
/// shutdown.
public struct SessionSweeper: Service {
    private let sessions: SessionManager
    private let interval: Duration
    private let logger: Logger

    /// Creates the sweeper.
    public init(sessions: SessionManager, interval: Duration = .seconds(60), logger: Logger) {
        self.sessions = sessions
        self.interval = interval
        self.logger = logger
    }

    /// Sweeps until cancelled or the service group shuts down.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                let removed = try await sessions.sweepExpired()
                if removed > 0 { logger.debug("expired sessions swept", metadata: ["portcullis.count": "\(removed)"]) }
            } catch {
                logger.warning("session sweep failed", metadata: ["portcullis.error": "\(String(describing: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }
}
