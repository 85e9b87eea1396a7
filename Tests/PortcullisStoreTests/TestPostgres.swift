import Foundation
import Logging
import PortcullisCore
import PortcullisPostgres
import PostgresNIO

/// The throwaway PostgreSQL server that Scripts/test starts (`PORTCULLIS_TEST_POSTGRES`), and a
/// fresh database in it for each test.
enum TestPostgres {
    static var serverURL: String? { ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES"] }
    static var isCI: Bool { ProcessInfo.processInfo.environment["CI"] != nil }

    struct NotStarted: Error, CustomStringConvertible {
        var description: String { "PORTCULLIS_TEST_POSTGRES is not set: run the tests with Scripts/test, which starts PostgreSQL" }
    }

    /// A started, migrated store on a new, empty database.
    static func freshStore() async throws -> PostgresStore {
        let url = try await databaseURL()
        // A loaded test machine runs every suite at once: allow more than production's 3 s.
        let store = try PostgresStore(url: url, operationTimeout: .seconds(30))
        store.start()
        try await store.migrate()
        return store
    }

    /// The URL of a new, empty database.
    static func databaseURL() async throws -> String {
        guard let serverURL, var components = URLComponents(string: serverURL) else { throw NotStarted() }
        let name = "portcullis_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // createdb is waited for on a Dispatch thread, never on the cooperative pool.
            DispatchQueue.global().async { continuation.resume(with: Result { try createDatabase(name) }) }
        }
        components.path = "/" + name
        return components.string ?? serverURL
    }

    private static func createDatabase(_ name: String) throws {
        let pg = URL(fileURLWithPath: ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin")
        guard let serverURL, let components = URLComponents(string: serverURL) else { throw NotStarted() }
        let process = Process()
        process.executableURL = pg.appendingPathComponent("createdb")
        process.arguments = ["-h", components.host ?? "127.0.0.1", "-p", "\(components.port ?? 5432)", "-U", components.user ?? "postgres", name]
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw NotStarted() }
    }
}

extension TestPostgres {
    /// The CA that signed the test server's certificate (`PORTCULLIS_TEST_POSTGRES_CA`).
    static var certificateAuthority: String? { ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_CA"] }
    /// A CA that did not (`PORTCULLIS_TEST_POSTGRES_WRONG_CA`).
    static var wrongCertificateAuthority: String? { ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_WRONG_CA"] }

    /// Runs one statement on the database `url` names, outside any store.
    static func execute(_ sql: String, on url: PostgresConfiguration) async throws {
        _ = try await rows(sql, on: url)
    }

    /// The rows of one query on the database `url` names, on a plain connection outside any store.
    static func rows(_ sql: String, on url: PostgresConfiguration) async throws -> [PostgresRow] {
        let configuration = PostgresConnection.Configuration(
            host: url.host,
            port: url.port,
            username: url.username,
            password: nil,
            database: url.database,
            tls: .disable
        )
        let connection = try await PostgresConnection.connect(configuration: configuration, id: 1, logger: Logger(label: "test"))
        var rows: [PostgresRow] = []
        for try await row in try await connection.query(PostgresQuery(unsafeSQL: sql), logger: Logger(label: "test")) { rows.append(row) }
        try await connection.close()
        return rows
    }
}
