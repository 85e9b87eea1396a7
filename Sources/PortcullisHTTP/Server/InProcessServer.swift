public import Hummingbird
public import Logging
public import ServiceLifecycle

/// A Portcullis application serving HTTP inside the calling process on a loopback port, until
/// ``stop()``: for tests of services that trust its tokens, and for `portcullis compare`, which
/// runs its experiments against throwaway servers.
public final class InProcessServer: Sendable {
    /// The port it listens on.
    public let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, any Error>

    private init(port: Int, group: ServiceGroup, task: Task<Void, any Error>) {
        self.port = port
        self.group = group
        self.task = task
    }

    /// Starts serving `router` on `127.0.0.1:port` with `services` running beside it; returns once
    /// the port accepts connections.
    /// - Parameters:
    ///   - router: the routes, for example from ``PortcullisApplication/addRoutes(to:services:)``.
    ///   - port: the port (see ``LoopbackPort/free()``).
    ///   - configuration: the settings whose connection limits apply
    ///     (``PortcullisApplication/httpServer(_:)``).
    ///   - services: background services that start and stop with the server.
    ///   - logger: the server's logger.
    /// - Throws: ``Stopped`` when the server ends before it listens (its port taken, say).
    public static func start<Context: RequestContext>(
        router: Router<Context>,
        port: Int,
        configuration: ServerConfiguration,
        services: [any Service] = [],
        logger: Logger
    ) async throws -> InProcessServer where Context.Source == ApplicationRequestContextSource {
        let (ready, readyContinuation) = AsyncStream<Void>.makeStream()
        let address = ApplicationConfiguration(address: .hostname("127.0.0.1", port: port), serverName: "Portcullis")
        let app = Application(
            router: router,
            server: PortcullisApplication.httpServer(configuration),
            configuration: address,
            services: services,
            onServerRunning: { _ in readyContinuation.yield() },
            logger: logger
        )
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
        let task = Task {
            // Ends the wait below whether the server ran or failed to start.
            defer { readyContinuation.finish() }
            try await group.run()
        }
        for await _ in ready {
            return InProcessServer(port: port, group: group, task: task)
        }
        // The wait ends without a server when the server stopped, or when the caller was
        // cancelled; then the server must not be left starting.
        if Task.isCancelled { await group.triggerGracefulShutdown() }
        try await task.value
        throw Stopped(port: port)
    }

    /// Stops serving (open streams are ended, background services stopped) and waits until the
    /// port is closed.
    public func stop() async {
        await group.triggerGracefulShutdown()
        _ = try? await task.value
    }

    /// The server ended before it listened.
    public struct Stopped: Error, CustomStringConvertible {
        /// The port it was to listen on.
        public let port: Int
        public var description: String { "the server stopped before listening on 127.0.0.1:\(port)" }
    }
}
