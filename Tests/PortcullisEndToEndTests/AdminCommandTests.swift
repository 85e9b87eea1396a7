import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// The administration commands (README.md#administration), against the store a running server uses.
@Suite("Admin commands")
struct AdminCommandTests {
    func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test func usersCreateListDisableEnable() async throws {
        let directory = try TemporaryDirectory()
        let created = await PortcullisBinary.run(
            ["users", "create", "--email", "Ada@Example.com", "--role", "admin", "--password-stdin"],
            in: directory.url,
            stdin: password + "\n"
        )
        #expect(created.status == 0, "\(created.stderr)")
        let account = try #require(json(created.stdout) as? [String: Any])
        let id = try #require(account["id"] as? String)
        #expect(account["email"] as? String == "ada@example.com")

        let server = try await ServerProcess.start(in: directory.url)
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        #expect(login.status == 201)
        let cookie = try #require(login.sessionCookie)
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).json["roles"] as? [String] == ["admin"])

        let listed = await PortcullisBinary.run(["users", "list"], in: directory.url)
        #expect(listed.status == 0)
        let accounts = try #require(json(listed.stdout) as? [[String: Any]])
        #expect(accounts.map { $0["id"] as? String } == [id])
        #expect(accounts.first?["disabled"] as? Bool == false)
        let human = await PortcullisBinary.run(["users", "list", "--human"], in: directory.url)
        #expect(human.stdout.contains("ada@example.com") && human.stdout.contains("email"))

        #expect(await PortcullisBinary.run(["users", "disable", id], in: directory.url).status == 0)
        // The command is another process: its revocation reaches the server's cache within a second.
        try await MultiInstanceTests.eventually { try await server.request(.GET, "/v1/me", cookie: cookie).status == 401 }
        #expect(try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password]).status == 401)
        #expect(
            (json(await PortcullisBinary.run(["users", "list"], in: directory.url).stdout) as? [[String: Any]])?.first?["disabled"] as? Bool == true
        )

        #expect(await PortcullisBinary.run(["users", "enable", id], in: directory.url).status == 0)
        #expect(try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password]).status == 201)
        try await server.stop()
    }

    @Test func usersCreateRefusesWhatTheAPIRefuses() async throws {
        let directory = try TemporaryDirectory()
        let weak = await PortcullisBinary.run(
            ["users", "create", "--email", "ada@example.com", "--password-stdin"],
            in: directory.url,
            stdin: "password"
        )
        #expect(weak.status != 0)
        #expect(weak.stderr.split(separator: "\n").count >= 1)
        #expect(!weak.stderr.contains("password\n") || weak.stderr.contains("Choose"))
        #expect(await PortcullisBinary.run(["users", "create", "--email", "ada@example.com"], in: directory.url).status != 0)
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url)
                .status == 0
        )
        let duplicate = await PortcullisBinary.createUser("ada@example.com", in: directory.url)
        #expect(duplicate.status != 0)
        #expect(await PortcullisBinary.run(["users", "disable", "no-such-id"], in: directory.url).status != 0)
    }

    @Test func sessionsListAndRevoke() async throws {
        let directory = try TemporaryDirectory()
        let created = await PortcullisBinary.createUser("ada@example.com", in: directory.url)
        let id = try #require((json(created.stdout) as? [String: Any])?["id"] as? String)
        let server = try await ServerProcess.start(in: directory.url)
        var cookies: [String] = []
        for _ in 0..<3 {
            cookies.append(
                try #require(try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password]).sessionCookie)
            )
        }

        let listed = await PortcullisBinary.run(["sessions", "list", "--user", id], in: directory.url)
        #expect(listed.status == 0)
        let sessions = try #require(json(listed.stdout) as? [[String: Any]])
        #expect(sessions.count == 3)
        for session in sessions {
            let sessionID = try #require(session["id"] as? String)
            #expect(!cookies.contains { $0.contains(sessionID) })
        }

        let first = try #require(try await server.request(.GET, "/v1/session", cookie: cookies[0]).json["session"] as? [String: Any])
        let revokeOne = await PortcullisBinary.run(["sessions", "revoke", try #require(first["id"] as? String)], in: directory.url)
        #expect(revokeOne.status == 0)
        try await MultiInstanceTests.eventually { try await server.request(.GET, "/v1/me", cookie: cookies[0]).status == 401 }
        #expect(try await server.request(.GET, "/v1/me", cookie: cookies[1]).status == 200)

        let revokeAll = await PortcullisBinary.run(["sessions", "revoke", "--user", id], in: directory.url)
        #expect(revokeAll.status == 0)
        #expect((json(revokeAll.stdout) as? [String: Any])?["revoked"] as? [String] != nil)
        for cookie in cookies {
            try await MultiInstanceTests.eventually { try await server.request(.GET, "/v1/me", cookie: cookie).status == 401 }
        }
        #expect(await PortcullisBinary.run(["sessions", "revoke", "no-such-session"], in: directory.url).status != 0)
        #expect(await PortcullisBinary.run(["sessions", "revoke"], in: directory.url).status != 0)
        try await server.stop()
    }

    @Test func migrateIsIdempotentAndHonoursDatabase() async throws {
        let directory = try TemporaryDirectory()
        for _ in 0..<2 {
            let result = await PortcullisBinary.run(["migrate", "--database", "sqlite:other.sqlite"], in: directory.url)
            #expect(result.status == 0, "\(result.stderr)")
        }
        #expect(FileManager.default.fileExists(atPath: directory.path("other.sqlite")))
        #expect(!FileManager.default.fileExists(atPath: directory.path("portcullis.sqlite")))
        let unsupported = await PortcullisBinary.run(["migrate", "--database", "mysql://user:hunter2@db/portcullis"], in: directory.url)
        #expect(unsupported.status != 0)
        #expect(!unsupported.stderr.contains("hunter2"))
    }
}
