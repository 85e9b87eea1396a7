import Foundation
import Logging
import PortcullisCore
import PortcullisPostgres
import PostgresNIO
import Testing

/// TLS to PostgreSQL, against the server Scripts/test starts with a certificate from a throwaway CA.
@Suite("PostgreSQL TLS", .enabled(if: TestPostgres.certificateAuthority != nil, "Scripts/test starts PostgreSQL with TLS"))
struct PostgresTLSTests {
    /// The URL of a fresh database with `query` appended.
    static func url(_ query: String) async throws -> String {
        try await TestPostgres.databaseURL() + "?" + query
    }

    /// Whether every connection the server holds to `url`'s database uses TLS (and there is one).
    static func connectionsUseTLS(_ url: String) async throws -> Bool {
        let database = try PostgresConfiguration(url).database ?? ""
        let rows = try await TestPostgres.rows(
            "SELECT s.ssl FROM pg_stat_ssl s JOIN pg_stat_activity a USING (pid) WHERE a.datname = '\(database)' AND s.pid <> pg_backend_pid()",
            on: try PostgresConfiguration(url)
        )
        let flags = try rows.map { try $0.decode(Bool.self) }
        return !flags.isEmpty && flags.allSatisfy { $0 }
    }

    @Test(arguments: ["127.0.0.1", "localhost"])
    func verifyFullConnectsOverTLSWithTheRightAuthority(host: String) async throws {
        let ca = try #require(TestPostgres.certificateAuthority)
        let url = try await Self.url("sslmode=verify-full&sslrootcert=\(ca)").replacingOccurrences(of: "@127.0.0.1:", with: "@\(host):")
        let store = try PostgresStore(url: url, operationTimeout: .seconds(30))
        try await store.checkConnection()
        store.start()
        try await store.migrate()
        try await store.insertAccount(Account(email: "ada@example.com", createdAt: Date(epochSeconds: 1)), passwordHash: "h")
        #expect(try await store.account(email: "ada@example.com") != nil)
        #expect(try await Self.connectionsUseTLS(url))
        try await store.close()
    }

    @Test func aWrongAuthorityIsRefusedWithAMessageThatSaysSo() async throws {
        let wrong = try #require(TestPostgres.wrongCertificateAuthority)
        let store = try PostgresStore(url: try await Self.url("sslmode=verify-full&sslrootcert=\(wrong)"))
        do {
            try await store.checkConnection()
            Issue.record("a certificate from another authority was accepted")
        } catch let error as StoreError {
            let message = error.backendMessage ?? ""
            #expect(message.contains("sslmode=verify-full"))
            #expect(message.lowercased().contains("certificate"), "\(message)")
            #expect(!message.contains("postgres@"), "the message names the URL's credentials")
        }
    }

    @Test func disableMeansPlainAndPreferUsesTLSWhenOffered() async throws {
        let plain = try await Self.url("sslmode=disable")
        let store = try PostgresStore(url: plain, operationTimeout: .seconds(30))
        store.start()
        try await store.migrate()
        #expect(try await Self.connectionsUseTLS(plain) == false)
        try await store.close()

        let preferred = try await Self.url("sslmode=prefer")
        let other = try PostgresStore(url: preferred, operationTimeout: .seconds(30))
        other.start()
        try await other.migrate()
        #expect(try await Self.connectionsUseTLS(preferred))
        try await other.close()
    }
}

@Suite("PostgreSQL connection settings")
struct PostgresConfigurationTests {
    @Test(arguments: [
        ("postgres://u@db.internal/x", PostgresConfiguration.TLSMode.require),
        ("postgres://u@10.0.0.5:6432/x", .require),
        ("postgres://u@127.0.0.1/x", .prefer),
        ("postgres://u@localhost/x", .prefer),
        ("postgres://u@[::1]/x", .prefer),
        ("postgres://u@db.internal/x?sslmode=disable", .disable),
        ("postgres://u@127.0.0.1/x?sslmode=verify-full&sslrootcert=/etc/ca.pem", .verifyFull),
        ("postgresql://u@db/x?sslmode=verify-ca&sslrootcert=system", .verifyCA),
    ])
    func sslmodeDefaultsToRequireExceptOnLoopback(url: String, mode: PostgresConfiguration.TLSMode) throws {
        #expect(try PostgresConfiguration(url).tlsMode == mode)
    }

    @Test(arguments: [
        "postgres://u@db/x?sslmode=allow", "postgres://u@db/x?sslmode=verify_full", "mysql://u@db/x", "postgres://db/x",
        // As with libpq, verifying needs the authority to verify against.
        "postgres://u@db/x?sslmode=verify-full", "postgres://u@db/x?sslmode=verify-ca",
        "postgres://u@db/x?pool_max_conns=0", "postgres://u@db/x?pool_max_conns=many", "postgres://u@db/x?connect_timeout=-1",
    ])
    func malformedURLsAreRefused(url: String) {
        #expect(throws: StoreError.self) { try PostgresConfiguration(url) }
    }

    @Test func theSummaryNeverShowsThePassword() throws {
        let url = try PostgresConfiguration("postgres://portcullis:s3cret@db.internal:5433/auth?sslmode=verify-full&sslrootcert=/ca.pem")
        #expect(url.summary == "db.internal:5433 (sslmode=verify-full, sslrootcert=/ca.pem)")
        #expect(url.database == "auth" && url.username == "portcullis" && url.rootCertificate == "/ca.pem")
        #expect("\(url)" == url.summary)
    }

    @Test func thePoolSizeAndConnectTimeoutComeFromTheURL() throws {
        let defaults = try PostgresConfiguration("postgres://u@db/x")
        #expect(defaults.poolSize == 10 && defaults.connectTimeout == .seconds(2) && defaults.operationTimeout == .seconds(3))
        let tuned = try PostgresConfiguration("postgres://u@db/x?pool_max_conns=40&connect_timeout=7")
        #expect(tuned.poolSize == 40 && tuned.connectTimeout == .seconds(7))
    }
}
