public import Hummingbird
public import HummingbirdCore
public import Logging
import PortcullisCore
public import Prometheus
public import ServiceLifecycle

/// Builds the Portcullis HTTP application.
public enum PortcullisApplication {
    /// The application serving `services` on the configured host and port, with the expired-session
    /// sweeper as a service that starts and stops with it.
    /// - Parameters:
    ///   - services: the wired core services.
    ///   - metrics: the registry `/metrics` exposes (the one swift-metrics was bootstrapped with).
    ///   - logger: the application logger.
    public static func build(services: PortcullisServices, metrics: PrometheusCollectorRegistry, logger: Logger) -> some ApplicationProtocol {
        let router = Router(context: PortcullisRequestContext.self)
        addRoutes(to: router, services: services, metrics: metrics)
        return Application(
            router: router,
            server: httpServer(services.configuration),
            configuration: .init(address: .hostname(services.configuration.host, port: services.configuration.port), serverName: "Portcullis"),
            services: backgroundServices(services: services, logger: logger),
            logger: logger
        )
    }

    /// HTTP/1.1 with the connection limits of `configuration`: request headers within
    /// `headerTimeout` (and the body within as long again), idle keep-alive connections and
    /// responses the client stops reading closed after `idleTimeout`, and at most
    /// `maxConnectionsPerAddress` connections per client network (trusted proxies exempt).
    /// Each connection's handlers run on its event loop (docs/design.md), so they must
    /// not block. Applications that embed Portcullis pass it to their own `Application(server:)`.
    public static func httpServer(_ configuration: ServerConfiguration) -> HTTPServerBuilder {
        let limiter = ConnectionLimiter(maximumPerNetwork: configuration.maxConnectionsPerAddress)
        let resolver = ClientAddressResolver(trustedProxies: configuration.trustedProxies)
        let headerTimeout = configuration.headerTimeout
        let channelConfiguration = HTTP1Channel.Configuration(
            additionalChannelHandlers: [
                ConnectionGuard(headerTimeout: headerTimeout, stallTimeout: configuration.idleTimeout, limiter: limiter, resolver: resolver)
            ],
            idleTimeout: .nanoseconds(Int64(configuration.idleTimeout / .nanoseconds(1)))
        )
        return HTTPServerBuilder { responder in
            EventLoopAffineChannel(base: HTTP1Channel(responder: responder, configuration: channelConfiguration))
        }
    }

    /// The services Portcullis needs running beside its routes: the store sweeper (expired
    /// sessions, ended refresh families, old revocations and throttle counts), the mail delivery
    /// that empties the outbox (when mail is on), the revocation broadcaster that keeps the
    /// session and bearer-token caches honest and feeds the revocation streams, and the warm-up
    /// that fills the session cache at start. Applications that embed
    /// Portcullis pass these to their own `Application(services:)`.
    public static func backgroundServices(services: PortcullisServices, logger: Logger) -> [any Service] {
        var background: [any Service] = [StoreSweeper(store: services.store, throttle: services.throttle, logger: logger)]
        if let mailer = services.mailer, let transport = services.mailTransport {
            background.append(MailDelivery(store: services.store, mailer: mailer, transport: transport, logger: logger))
        }
        background.append(services.revocations)
        if services.sessions.cache != nil {
            background.append(SessionCacheWarmUp(sessions: services.sessions, logger: logger))
        }
        return background
    }

    /// Installs Portcullis's middleware and routes on `router`, for applications that embed it.
    ///
    /// The middleware (security headers, limits, Fetch-Metadata checks, the session cookie, bearer
    /// tokens) applies to the application's own routes too, so they can read `context.session` and
    /// `context.bearer`, and call `context.requireSession(csrfFrom:)` for their unsafe requests.
    public static func addRoutes(to router: some RouterMethods<PortcullisRequestContext>, services: PortcullisServices, metrics: PrometheusCollectorRegistry) {
        let configuration = services.configuration
        router.add(middleware: AccessLogMiddleware())
        router.add(middleware: MetricsMiddleware())
        router.add(middleware: SecurityHeadersMiddleware(strictTransportSecurity: configuration.isServedOverHTTPS))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: RequestLimitsMiddleware())
        router.add(middleware: ClientAddressMiddleware(resolver: ClientAddressResolver(trustedProxies: configuration.trustedProxies)))
        router.add(middleware: FetchMetadataMiddleware(publicOrigin: configuration.publicOrigin))
        router.add(middleware: SessionCookieMiddleware(sessions: services.sessions))
        router.add(middleware: BearerTokenMiddleware(tokens: services.tokens))
        OperationsRoutes(store: services.store, metrics: metrics).register(on: router)
        AccountRoutes(accounts: services.accounts).register(on: router)
        SessionRoutes(services: services).register(on: router)
        TokenRoutes(services: services).register(on: router)
        ServiceClientRoutes(services: services).register(on: router)
        AdminRoutes(services: services).register(on: router)
        RecoveryRoutes(services: services).register(on: router)
        PageRoutes(services: services).register(on: router)
        RecoveryPageRoutes(services: services).register(on: router)
    }
}
