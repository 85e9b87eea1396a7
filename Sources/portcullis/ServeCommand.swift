import ArgumentParser
import Hummingbird
import Logging
import Metrics
import PortcullisCore
import PortcullisHTTP
import Prometheus
import ServiceLifecycle

/// `portcullis serve`: migrates the store, then serves until SIGTERM or SIGINT.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the server (migrates the store first).",
        discussion: ServerFlags.help
    )

    @OptionGroup var store: StoreOptions
    /// The settings flags, read against the settings catalogue (``ServerFlags``).
    @Argument(parsing: .allUnrecognized, help: .hidden) var settings: [String] = []

    func run() async throws {
        let configuration = try await Settings.server(store, flags: try ServerFlags.parse(settings))
        let level = configuration.logLevel
        LoggingSystem.bootstrap { label in
            var handler = JSONLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        let logger = Logger(label: "portcullis")

        let backend = try await StoreLocator.open(configuration.database, logger: logger)
        do {
            try await backend.migrate()
            let keyEncryption = try KeyEncryptionKey.loadOrCreate(path: configuration.keyFile)
            let mailTransport = try MailTransports.make(configuration, logger: logger)
            let services = PortcullisServices(
                configuration: configuration,
                store: backend,
                keyEncryption: keyEncryption,
                logger: logger,
                mailTransport: mailTransport
            )
            // Fail fast when the key file cannot open the stored keys, rather than answer 500s.
            _ = try await services.tokens.keyRing.signingKey()
            let app = PortcullisApplication.build(services: services, metrics: registry, logger: logger)
            logger.info(
                "starting",
                metadata: [
                    "portcullis.address": "\(configuration.host):\(configuration.port)", "portcullis.issuer": "\(configuration.effectiveIssuer)",
                ]
            )
            if IPAddress(configuration.publicHost) != nil {
                logger.warning(
                    "passkeys need a host name: browsers refuse an IP address as the relying-party id; set --public-url",
                    metadata: ["portcullis.public_url": "\(configuration.publicOrigin)"]
                )
            }
            try await app.runService()
        } catch {
            try? await backend.close()
            if let keyError = error as? KeyFileError { throw CommandFailure(keyError.description) }
            throw error
        }
        try await backend.close()
    }
}

/// `portcullis migrate`: creates or upgrades the schema.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "migrate", abstract: "Create or upgrade the schema (idempotent).")

    @OptionGroup var store: StoreOptions

    func run() async throws {
        try await AdminContext.with(store) { context in
            try await context.store.migrate()
            try context.print(["migrated": true], human: [["migrated", "yes"]])
        }
    }
}
