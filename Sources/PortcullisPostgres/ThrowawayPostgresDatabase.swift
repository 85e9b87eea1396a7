import Logging
import PostgresNIO

/// A database created on a PostgreSQL server for one job and dropped after it: `portcullis
/// compare` measures on one, never on the database it was pointed at.
public struct ThrowawayPostgresDatabase: Sendable {
    /// How to connect to the new database: the server's settings, with its name.
    public let configuration: PostgresConfiguration
    private let server: PostgresConfiguration

    /// Creates an empty database with a random name on the server `server` connects to (through
    /// the database it names, which is left alone). Its role needs `CREATEDB`.
    public static func create(on server: PostgresConfiguration) async throws -> ThrowawayPostgresDatabase {
        let name = "portcullis_throwaway_\(UInt64.random(in: .min ... .max))"
        try await execute("CREATE DATABASE \"\(name)\"", on: server)
        var configuration = server
        configuration.database = name
        return ThrowawayPostgresDatabase(configuration: configuration, server: server)
    }

    /// Drops the database, ending any connection still open to it.
    public func drop() async throws {
        guard let name = configuration.database else { return }
        try await Self.execute("DROP DATABASE IF EXISTS \"\(name)\" WITH (FORCE)", on: server)
    }

    /// Runs one statement outside any transaction (as `CREATE DATABASE` must be).
    private static func execute(_ sql: String, on configuration: PostgresConfiguration) async throws {
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
