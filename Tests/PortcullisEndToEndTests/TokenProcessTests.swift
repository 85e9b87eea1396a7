import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// Tokens from the real executable: keys survive a restart, the key and client commands, and an
/// independent JWT implementation (PyJWT) verifying what the server issued.
@Suite("Tokens from the portcullis process")
struct TokenProcessTests {
    func passwordGrant(_ server: ServerProcess) async throws -> ServerProcess.Reply {
        try await server.request(.POST, "/v1/token", json: ["grant_type": "password", "username": "ada@example.com", "password": password])
    }

    /// The server caches the bearer tokens it has checked; on its SQLite store, each way of
    /// ending a token still refuses it on the very next request.
    @Test func aCachedBearerTokenIsRefusedAtOnceWhenRevokedDisabledOrItsKeyEnded() async throws {
        let directory = try TemporaryDirectory()
        #expect(
            await PortcullisBinary.createUser("admin@example.com", in: directory.url, arguments: ["--role", "admin"]).status == 0
        )
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0
        )
        let server = try await ServerProcess.start(in: directory.url)
        func grant(_ email: String) async throws -> String {
            let reply = try await server.request(.POST, "/v1/token", json: ["grant_type": "password", "username": email, "password": password])
            return try #require(reply.json["access_token"] as? String)
        }
        func me(_ token: String) async throws -> ServerProcess.Reply {
            try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(token)"])
        }

        // Revoked (RFC 7009).
        let revoked = try await grant("ada@example.com")
        #expect(try await me(revoked).status == 200)
        #expect(try await me(revoked).status == 200)
        #expect(try await server.request(.POST, "/v1/token/revoke", form: "token=\(revoked)").status == 200)
        #expect(try await me(revoked).status == 401)

        // Its account disabled by an administrator.
        let admin = try await grant("admin@example.com")
        let adas = try await grant("ada@example.com")
        let adaID = try #require(try await me(adas).json["id"] as? String)
        #expect(try await me(adas).status == 200)
        let disabled = try await server.request(
            .PATCH,
            "/v1/admin/users/\(adaID)",
            json: ["disabled": true],
            headers: ["authorization": "Bearer \(admin)"]
        )
        #expect(disabled.status == 200)
        #expect(try await me(adas).status == 401)

        // Its signing key ended by an emergency rotation: the rotating token itself included.
        #expect(try await me(admin).status == 200)
        let rotated = try await server.request(.POST, "/v1/admin/keys/rotate", json: ["now": true], headers: ["authorization": "Bearer \(admin)"])
        #expect(rotated.status == 200 || rotated.status == 201)
        #expect(try await me(admin).status == 401)
        #expect(try await me(try await grant("admin@example.com")).status == 200)
        try await server.stop()
    }

    @Test func signingKeysSurviveARestartAndStayEncrypted() async throws {
        let directory = try TemporaryDirectory()
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0
        )
        let server = try await ServerProcess.start(in: directory.url)
        let grant = try await passwordGrant(server)
        let access = try #require(grant.json["access_token"] as? String)
        let jwks = try await server.request(.GET, "/.well-known/jwks.json").body
        try await server.stop(signal: SIGKILL)

        let attributes = try FileManager.default.attributesOfItem(atPath: directory.path("portcullis.key"))
        #expect((attributes[.posixPermissions] as? NSNumber)?.intValue == 0o600)

        let restarted = try await ServerProcess.start(in: directory.url)
        #expect(try await restarted.request(.GET, "/.well-known/jwks.json").body == jwks)
        let me = try await restarted.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(access)"])
        #expect(me.status == 200)
        try await restarted.stop()

        // Without the key file the stored keys cannot be opened (they are not in the database in
        // clear), and the server refuses to start rather than serve errors.
        try FileManager.default.removeItem(atPath: directory.path("portcullis.key"))
        do {
            let withoutKey = try await ServerProcess.start(in: directory.url)
            try await withoutKey.stop()
            Issue.record("the server started without the key file that sealed its keys")
        } catch let failure as ServerFailedToStart {
            #expect(failure.log.contains("cannot be opened with this key file"))
        }
    }

    @Test func keysAndClientsCommands() async throws {
        let directory = try TemporaryDirectory()
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0
        )
        let rotated = await PortcullisBinary.run(["keys", "rotate", "--alg", "ES256", "--now"], in: directory.url)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let key = try #require(try JSONSerialization.jsonObject(with: Data(rotated.stdout.utf8)) as? [String: Any])
        #expect(key["alg"] as? String == "ES256")
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(await PortcullisBinary.run(["keys", "list"], in: directory.url).stdout.utf8))
                as? [[String: Any]]
        )
        #expect(listed.contains { $0["kid"] as? String == key["kid"] as? String })
        #expect(await PortcullisBinary.run(["keys", "rotate", "--alg", "HS256"], in: directory.url).status != 0)

        let created = await PortcullisBinary.run(["clients", "create", "--name", "orders"], in: directory.url)
        let client = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])
        let id = try #require(client["client_id"])
        let secret = try #require(client["client_secret"])

        let server = try await ServerProcess.start(in: directory.url)
        let access = try #require(try await passwordGrant(server).json["access_token"] as? String)
        let header = try #require(Data(base64Encoded: Self.padded(String(access.split(separator: ".")[0]))))
        #expect(String(decoding: header, as: UTF8.self).contains(#""kid":"\#(key["kid"] as? String ?? "")""#))
        let basic = "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString()
        let introspection = try await server.request(.POST, "/v1/token/introspect", form: "token=\(access)", headers: ["authorization": basic])
        #expect(introspection.json["active"] as? Bool == true)
        let wrong = try await server.request(
            .POST,
            "/v1/token/introspect",
            form: "token=\(access)",
            headers: ["authorization": "Basic " + Data("\(id):nope".utf8).base64EncodedString()]
        )
        #expect(wrong.status == 401)
        try await server.stop()
    }

    @Test(arguments: ["EdDSA", "ES256", "RS256"])
    func pyJWTVerifiesWhatTheServerIssued(algorithm: String) async throws {
        let directory = try TemporaryDirectory()
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0
        )
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--signing-alg", algorithm])
        let access = try #require(try await passwordGrant(server).json["access_token"] as? String)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "Interop/verify_with_pyjwt.py"
        )
        let python = Process()
        python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        python.arguments = ["python3", script.path, server.baseURL, "api", access]
        let output = Pipe()
        let errors = Pipe()
        python.standardOutput = output
        python.standardError = errors
        try python.run()
        let printed = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let complaint = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        python.waitUntilExit()
        #expect(python.terminationStatus == 0, "PyJWT refused the token: \(complaint)")
        #expect(printed.contains("\"alg\": \"\(algorithm)\""))
        try await server.stop()
    }

    static func padded(_ base64URL: String) -> String {
        var text = base64URL.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return text
    }
}
