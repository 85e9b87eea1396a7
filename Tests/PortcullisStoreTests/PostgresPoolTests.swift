import Foundation
import PortcullisCore
import PortcullisPostgres
import PostgresNIO
import Testing

/// The pool size a PostgreSQL URL sets holds on a real server: each instance's share of
/// `max_connections` is what the operator chose.
@Suite("PostgreSQL pool", .enabled(if: TestPostgres.serverURL != nil, "Scripts/test starts PostgreSQL"))
struct PostgresPoolTests {
    @Test func manyConcurrentQueriesNeverOpenMoreConnectionsThanThePoolAllows() async throws {
        let url = try await TestPostgres.databaseURL() + "?pool_max_conns=2&sslmode=disable"
        let store = try PostgresStore(url: url, operationTimeout: .seconds(30))
        #expect(store.configuration.poolSize == 2)
        store.start()
        try await store.migrate()
        let database = try #require(store.configuration.database)
        // Counted from the server's own database, so a sampling connection that is still closing
        // never counts against the pool's.
        let server = try PostgresConfiguration(try #require(TestPostgres.serverURL))
        let counting = "SELECT count(*)::int FROM pg_stat_activity WHERE datname = '\(database)' AND pid <> pg_backend_pid()"
        let most = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<60 {
                group.addTask {
                    _ = try await store.account(email: "user\(index)@example.com")
                    return 0
                }
            }
            group.addTask {
                var most = 0
                for _ in 0..<20 {
                    let rows = try await TestPostgres.rows(counting, on: server)
                    most = max(most, try rows.first?.decode(Int.self) ?? 0)
                    try await Task.sleep(for: .milliseconds(5))
                }
                return most
            }
            return try await group.reduce(0, max)
        }
        #expect(most >= 1 && most <= 2, "\(most) connections for a pool of 2")
        try await store.close()
    }
}
