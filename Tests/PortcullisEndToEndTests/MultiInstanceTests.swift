import AsyncHTTPClient
import Foundation
import NIOCore
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
        let created = await PortcullisBinary.createUser("admin@example.com", in: directory.url, arguments: ["--role", "admin"] + shared)
        #expect(created.status == 0, "\(created.stderr)")
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: shared).status == 0
        )
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
        let fresh = try #require(
            try await b.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "ada@example.com", "password": password]).json[
                "access_token"
            ] as? String
        )
        let adminToken = try #require(
            try await a.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "admin@example.com", "password": password]).json[
                "access_token"
            ] as? String
        )
        let adaID = try #require(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(fresh)"]).json["id"] as? String)
        let disabled = try await a.request(
            .PATCH,
            "/v1/admin/users/\(adaID)",
            json: ["disabled": true],
            headers: ["authorization": "Bearer \(adminToken)"]
        )
        #expect(disabled.status == 200)
        try await Self.eventually { try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(fresh)"]).status == 401 }

        // An emergency rotation on A ends the old key's tokens: at once on A, and on B (which has
        // the token cached) when it next reads the keys, as before the cache.
        #expect(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(adminToken)"]).status == 200)
        let rotated = try await a.request(
            .POST,
            "/v1/admin/keys/rotate",
            json: ["alg": "ES256", "now": true],
            headers: ["authorization": "Bearer \(adminToken)"]
        )
        #expect(try await a.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(adminToken)"]).status == 401)
        try await Self.eventually(within: .seconds(15)) {
            try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(adminToken)"]).status == 401
        }
        // The new key is published by B, and B accepts tokens A signs with it.
        let kid = try #require(rotated.json["kid"] as? String)
        let adminAgain = try #require(
            try await a.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "admin@example.com", "password": password]).json[
                "access_token"
            ] as? String
        )
        #expect(try await b.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(adminAgain)"]).status == 200)
        try await Self.eventually(within: .seconds(15)) { try await b.request(.GET, "/.well-known/jwks.json").body.contains(kid) }

        try await a.stop()
        try await b.stop()
    }

    @Test func theRevocationStreamMissesNothingWhileTwoInstancesAppendAtOnce() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let shared = ["--database", database, "--key-file", directory.path("shared.key")]
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: shared).status == 0)
        let client = try #require(
            try JSONSerialization.jsonObject(
                with: Data(await PortcullisBinary.run(["clients", "create", "--name", "feed"] + shared, in: directory.url).stdout.utf8)
            ) as? [String: String]
        )
        let basic = "Basic " + Data("\(client["client_id"] ?? ""):\(client["client_secret"] ?? "")".utf8).base64EncodedString()
        let a = try await ServerProcess.start(in: directory.url, arguments: shared)
        let b = try await ServerProcess.start(in: directory.url, arguments: shared)

        // Tokens to revoke, from both instances, eight sign-ins at a time (each holds a place in
        // the account's throttle window until its password has been checked).
        var tokens: [String] = []
        while tokens.count < 80 {
            tokens += try await withThrowingTaskGroup(of: String?.self) { group in
                for index in 0..<8 {
                    group.addTask {
                        try await (index.isMultiple(of: 2) ? a : b).request(
                            .POST,
                            "/v1/token",
                            form: "grant_type=password&username=ada@example.com&password=correct+horse+battery+staple"
                        ).json["access_token"] as? String
                    }
                }
                return try await group.reduce(into: [String]()) { if let token = $1 { $0.append(token) } }
            }
        }
        tokens = Array(tokens.prefix(80))

        // A verifier follows the stream on A while both instances revoke all of them at once.
        var request = HTTPClientRequest(url: a.baseURL + "/v1/revocations/stream")
        request.headers.add(name: "authorization", value: basic)
        let stream = try await ServerProcess.http.execute(request, timeout: .seconds(60))
        #expect(stream.status == .ok)
        let expected = tokens.count
        let follower = Task {
            var seen: [(cursor: Int, id: String)] = []
            var buffer = ""
            for try await chunk in stream.body {
                buffer += String(buffer: chunk)
                while let end = buffer.range(of: "\n\n") {
                    let lines = buffer[..<end.lowerBound].split(separator: "\n")
                    buffer.removeSubrange(..<end.upperBound)
                    guard let cursor = lines.first(where: { $0.hasPrefix("id: ") }).flatMap({ Int($0.dropFirst(4)) }),
                        let data = lines.first(where: { $0.hasPrefix("data: ") }),
                        let entry = try? JSONSerialization.jsonObject(with: Data(data.dropFirst(6).utf8)) as? [String: Any],
                        let id = entry["id"] as? String
                    else { continue }
                    seen.append((cursor, id))
                }
                if seen.count >= expected { break }
            }
            return seen
        }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, token) in tokens.enumerated() {
                let token = token
                group.addTask { _ = try await (index.isMultiple(of: 2) ? b : a).request(.POST, "/v1/token/revoke", form: "token=\(token)") }
            }
            try await group.waitForAll()
        }
        let deadline = Task {
            try await Task.sleep(for: .seconds(20))
            follower.cancel()
        }
        let seen = try await follower.value
        deadline.cancel()

        // Everything the log holds, read page by page, came down the stream, in cursor order.
        var logged: [String] = []
        var cursor = 0
        while true {
            let page = try await b.request(.GET, "/v1/revocations?after=\(cursor)", headers: ["authorization": basic]).json
            let entries = page["entries"] as? [[String: Any]] ?? []
            if entries.isEmpty { break }
            cursor = page["cursor"] as? Int ?? cursor
            logged += entries.compactMap { $0["id"] as? String }
        }
        #expect(logged.count == 80, "the log holds \(logged.count) entries")
        #expect(Set(seen.map(\.id)) == Set(logged), "the stream delivered \(seen.count) of \(logged.count) entries")
        #expect(seen.map(\.cursor) == seen.map(\.cursor).sorted())
        try await a.stop()
        try await b.stop()
    }

    @Test(.enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_CA"] != nil, "Scripts/test starts PostgreSQL with TLS"))
    func serveVerifiesThePostgreSQLCertificate() async throws {
        let environment = ProcessInfo.processInfo.environment
        let (ca, wrong) = (environment["PORTCULLIS_TEST_POSTGRES_CA"] ?? "", environment["PORTCULLIS_TEST_POSTGRES_WRONG_CA"] ?? "")
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let verified = ["--database", database + "?sslmode=verify-full&sslrootcert=\(ca)"]
        let server = try await ServerProcess.start(in: directory.url, arguments: verified)
        #expect(try await server.request(.GET, "/readyz").status == 200)
        try await server.stop()
        do {
            let refused = try await ServerProcess.start(
                in: directory.url,
                arguments: ["--database", database + "?sslmode=verify-full&sslrootcert=\(wrong)"]
            )
            try await refused.stop()
            Issue.record("serve trusted a certificate from another authority")
        } catch let failure as ServerFailedToStart {
            #expect(failure.log.contains("not signed by a trusted authority"), "\(failure.log)")
            #expect(failure.log.contains("sslmode=verify-full"))
        }
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
