import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// PostgreSQL stops under a running server: requests that need it answer 503 quickly, `/readyz`
/// flips, and everything recovers without restarting Portcullis.
@Suite("PostgreSQL faults")
struct StoreFaultTests {
    @Test func stoppingAndRestartingPostgreSQL() async throws {
        let cluster = try await PostgresCluster()
        let directory = try TemporaryDirectory()
        let database = ["--database", cluster.url]
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: database).status == 0
        )
        let server = try await ServerProcess.start(in: directory.url, arguments: database)
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        #expect(login.status == 201)
        let cookie = try #require(login.sessionCookie)
        #expect(try await server.request(.GET, "/readyz").status == 200)

        try await cluster.stop()
        for path in ["/readyz", "/v1/me"] {
            let start = ContinuousClock.now
            let response = try await server.request(.GET, path, cookie: cookie)
            #expect(response.status == 503, "\(path)")
            // The store gives up after 3 s; the rest is a loaded test machine.
            #expect(ContinuousClock.now - start < .seconds(8), "\(path) took too long")
        }
        let start = ContinuousClock.now
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "bob@example.com", "password": password]).status == 503)
        #expect(ContinuousClock.now - start < .seconds(8))
        #expect(try await server.request(.GET, "/healthz").status == 200)

        try await cluster.start()
        try await MultiInstanceTests.eventually(within: .seconds(20)) { try await server.request(.GET, "/readyz").status == 200 }
        // The session acknowledged before the crash is still there.
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).status == 200)
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "bob@example.com", "password": password]).status == 201)
        try await server.stop()
    }
}
