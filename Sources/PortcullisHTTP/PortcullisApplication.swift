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
        addServerRoutes(to: router, services: services, metrics: metrics)
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

    /// What the `portcullis` server answers: ``addRoutes(to:services:)`` and `/metrics`, which
    /// serves `metrics` (the registry swift-metrics was bootstrapped with).
    public static func addServerRoutes(
        to router: some RouterMethods<PortcullisRequestContext>,
        services: PortcullisServices,
        metrics: PrometheusCollectorRegistry
    ) {
        addRoutes(to: router, services: services)
        OperationsRoutes.registerMetrics(on: router, registry: metrics)
    }

    /// Installs Portcullis's middleware and routes on `router`, for applications that embed it
    /// with their own request context (docs/design.md#embedding-portcullis).
    ///
    /// The middleware (access log, request metrics through swift-metrics, security headers,
    /// limits, Fetch-Metadata checks, the client address, the session cookie, bearer tokens)
    /// applies to the application's own routes registered after this call (Hummingbird applies
    /// middleware to the routes added after it), so they can read `context.session` and
    /// `context.bearer`: call this before adding yours. Portcullis's routes sit behind ``CSRFMiddleware``; put it on the
    /// application's own route groups whose unsafe requests act for the session, or
    /// ``PortcullisAuthRequestContext/requireSession()`` refuses them. Metrics go to whatever
    /// backend the application bootstrapped swift-metrics with; `/metrics` is not served.
    public static func addRoutes<Context: PortcullisAuthRequestContext>(to router: some RouterMethods<Context>, services: PortcullisServices) {
        let configuration = services.configuration
        let middleware: [any MiddlewareProtocol<Request, Response, Context>] = [
            AccessLogMiddleware(),
            RequestMetricsMiddleware(),
            SecurityHeadersMiddleware(strictTransportSecurity: configuration.isServedOverHTTPS),
            ErrorMiddleware(),
            RequestLimitsMiddleware(),
            ClientAddressMiddleware(resolver: ClientAddressResolver(trustedProxies: configuration.trustedProxies)),
            FetchMetadataMiddleware(publicOrigin: configuration.publicOrigin),
            SessionCookieMiddleware(sessions: services.sessions),
            BearerTokenMiddleware(tokens: services.tokens),
        ]
        for each in middleware { _ = router.add(middleware: each) }
        OperationsRoutes(store: services.store).register(on: router)
        let routes = router.group().add(middleware: CSRFMiddleware())
        AccountRoutes(accounts: services.accounts).register(on: routes)
        SessionRoutes(services: services).register(on: routes)
        TokenRoutes(services: services).register(on: routes)
        ServiceClientRoutes(services: services).register(on: routes)
        AdminRoutes(services: services).register(on: routes)
        RecoveryRoutes(services: services).register(on: routes)
        SecondFactorRoutes(services: services).register(on: routes)
        PasskeyRoutes(services: services).register(on: routes)
        PageRoutes(services: services).register(on: routes)
        RecoveryPageRoutes(services: services).register(on: routes)
        TwoStepPageRoutes(services: services).register(on: routes)
        PasskeyPageRoutes(services: services).register(on: routes)
    }
}
