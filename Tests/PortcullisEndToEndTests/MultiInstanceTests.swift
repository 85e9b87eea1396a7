import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// Several `portcullis serve` processes on one PostgreSQL database behave as one server.
@Suite("Several instances on PostgreSQL")
struct MultiInstanceTests {
    @Test func twoInstancesActAsOne() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let shared = ["--database", database, "--key-file", directory.path("shared.key")]
        let created = await PortcullisBinary.run(["users", "create", "--email", "admin@example.com", "--role", "admin", "--password-stdin"] + shared, in: directory.url, stdin: password)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(await PortcullisBinary.run(["users", "create", "--email", "ada@example.com", "--password-stdin"] + shared, in: directory.url, stdin: password).status == 0)
        let a = try await ServerProcess.start(in: directory.url, arguments: shared)
        let b = try await ServerProcess.start(in: directory.url, arguments: shared)

        // A session created on A authenticates on B; a token from A works on B.
        let login = try await a.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)
        #expect(try await b.request(.GET, "/v1/me", cookie: cookie).status == 200)
        let grant = try await a.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "ada@example.com", "password": password])
        let access = try #require(grant.json["access_token"] as? String)
        #expect(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(access)"]).status == 200)

        // Logout on B is refused on A within a second.
        #expect(try await b.request(.DELETE, "/v1/session", cookie: cookie, csrf: csrf).status == 204)
        try await Self.eventually { try await a.request(.GET, "/v1/me", cookie: cookie).status == 401 }

        // Revoking a token on B is refused on A within a second.
        #expect(try await b.request(.POST, "/v1/token/revoke", form: "token=\(access)").status == 200)
        try await Self.eventually { try await a.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(access)"]).status == 401 }

        // An admin disables Ada on A: her tokens are refused on B.
        let fresh = try #require(try await b.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "ada@example.com", "password": password]).json["access_token"] as? String)
        let adminToken = try #require(try await a.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "admin@example.com", "password": password]).json["access_token"] as? String)
        let adaID = try #require(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(fresh)"]).json["id"] as? String)
        let disabled = try await a.request(.PATCH, "/v1/admin/users/\(adaID)", json: ["disabled": true], headers: ["authorization": "Bearer \(adminToken)"])
        #expect(disabled.status == 200)
        try await Self.eventually { try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(fresh)"]).status == 401 }

        // A key rotated on A is published by B, and B accepts tokens A signs with it.
        let rotated = try await a.request(.POST, "/v1/admin/keys/rotate", json: ["alg": "ES256", "now": true], headers: ["authorization": "Bearer \(adminToken)"])
        let kid = try #require(rotated.json["kid"] as? String)
        let adminAgain = try #require(try await a.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "admin@example.com", "password": password]).json["access_token"] as? String)
        #expect(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(adminAgain)"]).status == 200)
        try await Self.eventually(within: .seconds(15)) { try await b.request(.GET, "/.well-known/jwks.json").body.contains(kid) }

        try await a.stop()
        try await b.stop()
    }

    @Test func migrateWorksOnPostgreSQL() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        for _ in 0..<2 {
            let result = await PortcullisBinary.run(["migrate", "--database", database], in: directory.url)
            #expect(result.status == 0, "\(result.stderr)")
        }
    }

    /// Polls `condition` until it holds, failing after `within` (one second by default).
    static func eventually(within limit: Duration = .seconds(1), _ condition: () async throws -> Bool) async throws {
        let deadline = ContinuousClock.now + limit
        while ContinuousClock.now < deadline {
            if try await condition() { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        #expect(try await condition(), "not within \(limit)")
    }
}
