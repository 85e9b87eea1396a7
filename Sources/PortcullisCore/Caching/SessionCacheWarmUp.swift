public import Logging
public import ServiceLifecycle

/// Fills an instance's session cache when it starts, with the sessions used in the last minute
/// (``SessionManager/warmCache()``): after a restart or a deploy, the people who were active do
/// not each cost the store a read on their next request, all at once.
///
/// It waits until the ``RevocationBroadcaster`` follows the log (a cache that is not followed keeps
/// nothing), loads once, and then idles until shutdown. A failed load is logged and costs nothing
/// but the warm start.
public struct SessionCacheWarmUp: Service {
    private let sessions: SessionManager
    private let logger: Logger
    /// How long it waits for the broadcaster before giving up on warming.
    private let patience: Duration

    /// A warm-up of `sessions`' cache.
    public init(sessions: SessionManager, patience: Duration = .seconds(30), logger: Logger) {
        self.sessions = sessions
        self.patience = patience
        self.logger = logger
    }

    public func run() async throws {
        guard let cache = sessions.cache else { return try await gracefulShutdown() }
        let started = ContinuousClock.now
        while !cache.isFollowed {
            guard ContinuousClock.now - started < patience else { return try await gracefulShutdown() }
            try await Task.sleep(for: .milliseconds(20))
        }
        do {
            let loaded = try await sessions.warmCache()
            logger.info(
                "session cache warmed",
                metadata: [
                    "portcullis.sessions": "\(loaded)", "portcullis.duration_ms": "\(Int((ContinuousClock.now - started) / .milliseconds(1)))",
                ]
            )
        } catch {
            logger.warning("session cache not warmed", metadata: ["portcullis.error": "\(error)"])
        }
        try await gracefulShutdown()
    }
}
