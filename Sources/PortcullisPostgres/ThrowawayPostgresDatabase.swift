import Logging
import PostgresNIO

/// A database created on a PostgreSQL server for one job and dropped after it: `portcullis
/// compare` measures on one, never on the database it was pointed at.
public struct ThrowawayPostgresDatabase: Sendable {
    /// The database's name.
    public let name: String
    /// How to connect to the new database: the server's settings, with its name.
    public let configuration: PostgresConfiguration
    private let server: PostgresConfiguration

    /// Creates an empty database with a random name on the server `server` connects to (through
    /// the database it names, which is left alone). Its role needs `CREATEDB`.
    public static func create(on server: PostgresConfiguration) async throws -> ThrowawayPostgresDatabase {
        let name = "portcullis_throwaway_\(UInt64.random(in: .min ... .max))"
        var configuration = server
        configuration.database = name
        let database = ThrowawayPostgresDatabase(name: name, configuration: configuration, server: server)
        do {
            try await execute("CREATE DATABASE \"\(name)\"", on: server)
        } catch {
            // The server may have created it after the client gave up waiting.
            try? await database.drop()
            throw error
        }
        return database
    }

    /// Drops the database, ending any connection still open to it (PostgreSQL 13 and later).
    public func drop() async throws {
        try await Self.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", on: server)
    }

    /// Runs one statement outside any transaction (as `CREATE DATABASE` must be), allowing it as
    /// long as a migration: creating a database copies a template, which a busy server may take
    /// a while to do.
    private static func execute(_ sql: String, on server: PostgresConfiguration) async throws {
        var configuration = server
        configuration.operationTimeout = PostgresStore.migrationTimeout
        let store = try PostgresStore(configuration: configuration)
        store.start()
        do {
            _ = try await store.rows(PostgresQuery(unsafeSQL: sql))
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }
}
