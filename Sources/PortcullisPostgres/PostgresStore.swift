public import Foundation
public import Logging
import NIOCore
import NIOPosix
public import PortcullisCore
import PortcullisTokens
public import PostgresNIO
public import ServiceLifecycle
import Synchronization

/// The scale-out store: every protocol on PostgreSQL through a pooled `PostgresClient`, which
/// runs as a service beside the server. Several Portcullis instances may share one database.
///
/// Queries use postgres-nio's interpolation, so every value is a bound parameter. Backend errors
/// become ``StoreError``s here; an operation that gets no answer within ``operationTimeout`` is
/// reported unavailable instead of hanging.
public final class PostgresStore: PortcullisStore, Service {
    let client: PostgresClient
    private let background = Mutex<Task<Void, Never>?>(nil)
    let logger: Logger
    /// The longest any store operation may take before it is reported unavailable.
    public var operationTimeout: Duration { configuration.operationTimeout }

    /// Where the store connects and how (see ``PostgresConfiguration``).
    public let configuration: PostgresConfiguration

    /// A store for `postgres://USER:PASS@HOST:PORT/DB[?sslmode=…&sslrootcert=…&pool_max_conns=…&connect_timeout=…]`.
    /// Run ``run()`` (or add the store to a service group) before using it.
    public convenience init(
        url: String,
        operationTimeout: Duration = .seconds(3),
        logger: Logger = Logger(label: "portcullis.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        var configuration = try PostgresConfiguration(url)
        configuration.operationTimeout = operationTimeout
        try self.init(configuration: configuration, logger: logger)
    }

    /// A store connecting as `configuration` says. Run ``run()`` (or add the store to a service
    /// group) before using it.
    public init(
        configuration: PostgresConfiguration,
        logger: Logger = Logger(label: "portcullis.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
    ) throws {
        var client = PostgresClient.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: try configuration.clientTLS()
        )
        client.options.connectTimeout = configuration.connectTimeout
        client.options.maximumConnections = configuration.poolSize
        self.configuration = configuration
        self.client = PostgresClient(configuration: client, backgroundLogger: logger)
        self.logger = logger
    }

    /// Opens one connection with the store's settings and closes it again: a start-up check that
    /// says what is wrong (a certificate that does not verify, a server without TLS, wrong
    /// credentials, nothing listening) instead of letting every query time out.
    /// - Throws: ``StoreError`` `unavailable` whose backend message explains, without the password.
    public func checkConnection() async throws {
        var settings = PostgresConnection.Configuration(
            host: configuration.host,
            port: configuration.port,
            username: configuration.username,
            password: configuration.password,
            database: configuration.database,
            tls: try configuration.connectionTLS()
        )
        settings.options.connectTimeout = .seconds(5)
        do {
            let connection = try await PostgresConnection.connect(
                on: MultiThreadedEventLoopGroup.singleton.any(),
                configuration: settings,
                id: 0,
                logger: logger
            )
            try await connection.close()
        } catch {
            throw StoreError(.unavailable, backendMessage: "cannot connect to PostgreSQL at \(configuration.summary): \(Self.explain(error))")
        }
    }

    /// The useful part of a connection failure: the TLS or socket error underneath, or the
    /// server's own message (which never contains the password).
    private static func explain(_ error: any Error) -> String {
        guard let postgres = error as? PSQLError else { return String(describing: error) }
        if postgres.code == .sslUnsupported { return "the server does not offer TLS" }
        if let message = postgres.serverInfo?[.message] { return message }
        guard let underlying = postgres.underlying.map(String.init(describing:)) else { return "\(postgres.code)" }
        if underlying.contains("CERTIFICATE_VERIFY_FAILED") {
            return "the server's TLS certificate is not signed by a trusted authority (check sslrootcert): \(underlying)"
        }
        if underlying.contains("failedToValidateHostname") || underlying.contains("unableToValidateCertificate") {
            return "the server's TLS certificate is not for this host: \(underlying)"
        }
        return underlying
    }

    /// Runs the connection pool until cancelled (the `Service` way).
    public func run() async {
        await client.run()
    }

    /// Runs the connection pool in a task of its own until ``close()`` (for commands and tests
    /// that have no service group).
    public func start() {
        background.withLock { task in
            guard task == nil else { return }
            task = Task { await self.client.run() }
        }
    }

    /// Migrations may take far longer than a request: they get ``migrationTimeout``.
    public func migrate() async throws {
        try await transaction(timeout: Self.migrationTimeout) { connection in
            _ = try await connection.query("SELECT pg_advisory_xact_lock(7415201)", logger: self.logger)
            _ = try await connection.query(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at BIGINT NOT NULL)",
                logger: self.logger
            )
            var current = 0
            for try await version in try await connection.query("SELECT COALESCE(MAX(version), 0) FROM schema_migrations", logger: self.logger)
                .decode(Int.self)
            {
                current = version
            }
            for migration in PostgresMigrations.all where migration.version > current {
                for statement in migration.statements {
                    _ = try await connection.query(statement, logger: self.logger)
                }
                let now = Date().epochSeconds
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (\(migration.version), \(now))",
                    logger: self.logger
                )
                self.logger.info("migration applied", metadata: ["portcullis.schema_version": "\(migration.version)"])
            }
        }
    }

    public func checkHealth() async throws {
        _ = try await rows("SELECT 1 AS one")
    }

    /// Stops the pool started by ``start()``.
    public func close() async throws {
        background.withLock { task in
            task?.cancel()
            task = nil
        }
    }

    // MARK: Plumbing

    /// All rows of a query, read fully, within the operation timeout.
    func rows(_ query: PostgresQuery) async throws -> [PostgresRandomAccessRow] {
        try await bounded(operationTimeout) {
            var result: [PostgresRandomAccessRow] = []
            for try await row in try await self.client.query(query, logger: self.logger) { result.append(row.makeRandomAccess()) }
            return result
        }
    }

    /// How long migrating may take.
    public static let migrationTimeout: Duration = .seconds(120)

    /// Runs `body` in one transaction, within the operation timeout (or `timeout`).
    func transaction<Result: Sendable>(
        timeout: Duration? = nil,
        _ body: @escaping @Sendable (PostgresConnection) async throws -> Result
    ) async throws -> Result {
        try await bounded(timeout ?? operationTimeout) {
            do {
                return try await self.client.withTransaction(logger: self.logger) { connection in try await body(connection) }
            } catch let failure as PostgresTransactionError {
                // postgres-nio wraps what went wrong; the store's error mapping reads the original
                // (a unique violation, a serialization failure, a StoreError of the body's own).
                throw failure.closureError ?? failure.commitError ?? failure.beginError ?? failure
            }
        }
    }

    /// All rows of a query on a connection inside a transaction.
    static func rows(_ query: PostgresQuery, on connection: PostgresConnection, logger: Logger) async throws -> [PostgresRandomAccessRow] {
        var result: [PostgresRandomAccessRow] = []
        for try await row in try await connection.query(query, logger: logger) { result.append(row.makeRandomAccess()) }
        return result
    }

    private func bounded<Result: Sendable>(_ timeout: Duration, _ operation: @escaping @Sendable () async throws -> Result) async throws -> Result {
        do {
            return try await withThrowingTaskGroup(of: Result?.self) { group in
                group.addTask { try await operation() }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let result = first else {
                    throw StoreError(.unavailable, backendMessage: "no answer within \(timeout)")
                }
                return result
            }
        } catch {
            throw Self.translate(error)
        }
    }

    static func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let postgres = error as? PSQLError {
            if postgres.serverInfo?[.sqlState] == PostgresError.Code.uniqueViolation.raw {
                return StoreError(.duplicate, backendMessage: "unique violation")
            }
            return StoreError(.unavailable, backendMessage: "\(postgres.code)")
        }
        if error is CancellationError { return error }
        return StoreError(.unavailable, backendMessage: String(describing: type(of: error)))
    }
}
