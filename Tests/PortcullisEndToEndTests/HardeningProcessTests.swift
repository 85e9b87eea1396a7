import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// Operator emergencies and everyday sequences against the real executable: emergency key
/// rotation, signing in right after "sign out everywhere", revocation that cannot be inflated,
/// tokens that cannot outlive their session, and the files and headers a deployment relies on.
@Suite("Hardening of the portcullis process", .timeLimit(.minutes(3)))
struct HardeningProcessTests {
    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any] ?? [:]
    }

    /// The claims of a compact JWT, decoded without verification (the server verifies).
    static func claims(_ token: String) -> [String: Any] {
        let segments = token.split(separator: ".")
        guard segments.count == 3 else { return [:] }
        var base64 = segments[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
    }

    static func kid(_ token: String) -> String? {
        var base64 = String(token.prefix { $0 != "." }).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        let header = Data(base64Encoded: base64).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }
        return header?["kid"] as? String
    }

    static func passwordGrant(_ server: ServerProcess, _ email: String = "ada@example.com") async throws -> String {
        let grant = try await server.request(.POST, "/v1/token", form: "grant_type=password&username=\(email)&password=correct+horse+battery+staple")
        return try #require(grant.json["access_token"] as? String, "\(grant.status) \(grant.body)")
    }

    static func publishedKids(_ server: ServerProcess) async throws -> Set<String> {
        let keys = try await server.request(.GET, "/.well-known/jwks.json").json["keys"] as? [[String: Any]] ?? []
        return Set(keys.compactMap { $0["kid"] as? String })
    }

    @Test func anEmergencyRotationEndsEveryEarlierKeyNotOnlyTheOneItReplaces() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--key-publish-ahead", "0s"])
        let signedByFirst = try await Self.passwordGrant(server)
        let first = try #require(Self.kid(signedByFirst))

        // A scheduled rotation: the first key stops signing but keeps verifying its tokens.
        let scheduled = await PortcullisBinary.run(["keys", "rotate", "--key-publish-ahead", "0s"], in: directory.url)
        #expect(scheduled.status == 0, "\(scheduled.stderr)")
        let second = try #require(Self.json(scheduled.stdout)["kid"] as? String)
        try await MultiInstanceTests.eventually(within: .seconds(15)) {
            try await Self.kid(Self.passwordGrant(server)) == second
        }
        #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(signedByFirst)"]).status == 200)
        let signedBySecond = try await Self.passwordGrant(server)

        // Then an emergency: the compromised key may be the older one, so every key but the new one ends.
        let emergency = await PortcullisBinary.run(["keys", "rotate", "--now"], in: directory.url)
        #expect(emergency.status == 0, "\(emergency.stderr)")
        let third = try #require(Self.json(emergency.stdout)["kid"] as? String)
        try await MultiInstanceTests.eventually(within: .seconds(15)) { try await Self.publishedKids(server) == [third] }
        #expect(!(try await Self.publishedKids(server)).contains(first))
        for token in [signedByFirst, signedBySecond] {
            #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(token)"]).status == 401)
        }
        let listed = try #require(
            try JSONSerialization.jsonObject(with: Data(await PortcullisBinary.run(["keys", "list"], in: directory.url).stdout.utf8))
                as? [[String: Any]]
        )
        let now = Int(Date().timeIntervalSince1970)
        for key in listed where key["kid"] as? String != third {
            #expect((key["verifies_until"] as? Int).map { $0 <= now } == true, "\(key)")
        }
        try await server.stop()
    }

    @Test func keysRotateHonoursKeyPublishAhead() async throws {
        let directory = try TemporaryDirectory()
        let rotated = await PortcullisBinary.run(["keys", "rotate", "--key-publish-ahead", "90s"], in: directory.url)
        #expect(rotated.status == 0, "\(rotated.stderr)")
        let signsFrom = try #require(Self.json(rotated.stdout)["signs_from"] as? Int)
        let now = Int(Date().timeIntervalSince1970)
        #expect((now + 85...now + 95).contains(signsFrom))
        let fromEnvironment = await PortcullisBinary.run(["keys", "rotate"], in: directory.url, environment: ["PORTCULLIS_KEY_PUBLISH_AHEAD": "0s"])
        let immediate = try #require(Self.json(fromEnvironment.stdout)["signs_from"] as? Int)
        #expect(abs(immediate - Int(Date().timeIntervalSince1970)) <= 2)
    }

    @Test func tokensIssuedRightAfterSignOutEverywhereWork() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(in: directory.url)
        for _ in 0..<3 {
            let old = try await Self.passwordGrant(server)
            #expect(try await server.request(.DELETE, "/v1/sessions", headers: ["authorization": "Bearer \(old)"]).status == 204)
            #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(old)"]).status == 401)
            // Within the same second: every token issued after the sign-out works, and keeps working.
            var fresh: [String] = []
            for _ in 0..<5 { fresh.append(try await Self.passwordGrant(server)) }
            for token in fresh {
                #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(token)"]).status == 200)
            }
            try await Task.sleep(for: .milliseconds(1100))
            for token in fresh {
                #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(token)"]).status == 200)
            }
        }
        try await server.stop()
    }

    @Test func revokingOneTokenManyTimesAddsOneFeedEntry() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let client = Self.json(await PortcullisBinary.run(["clients", "create", "--name", "feed"], in: directory.url).stdout)
        let basic = "Basic " + Data("\(client["client_id"] as? String ?? ""):\(client["client_secret"] as? String ?? "")".utf8).base64EncodedString()
        let server = try await ServerProcess.start(in: directory.url)
        let token = try await Self.passwordGrant(server)
        let jti = try #require(Self.claims(token)["jti"] as? String)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<30 {
                group.addTask {
                    let status = try await server.request(.POST, "/v1/token/revoke", form: "token=\(token)").status
                    #expect(status == 200)
                }
            }
            try await group.waitForAll()
        }
        let page = try await server.request(.GET, "/v1/revocations?after=0", headers: ["authorization": basic])
        let entries = page.json["entries"] as? [[String: Any]] ?? []
        #expect(entries.filter { $0["id"] as? String == jti }.count == 1, "\(entries.count) entries")
        // An empty page answers a cursor no lower than the one asked after.
        let cursor = try #require(page.json["cursor"] as? Int)
        let empty = try await server.request(.GET, "/v1/revocations?after=\(cursor + 1000)", headers: ["authorization": basic])
        #expect((empty.json["cursor"] as? Int).map { $0 >= cursor + 1000 } == true)
        try await server.stop()
    }

    @Test func aTokenMintedFromASessionExpiresNoLaterThanTheSession() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--session-idle", "1m"])
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)
        let sessionExpiry = try #require((login.json["session"] as? [String: Any])?["expires_at"] as? Int)
        let exchanged = try await server.request(
            .POST,
            "/v1/token",
            form: "grant_type=urn:ietf:params:oauth:grant-type:token-exchange&subject_token_type=urn:portcullis:session",
            cookie: cookie,
            csrf: csrf
        )
        let token = try #require(exchanged.json["access_token"] as? String, "\(exchanged.body)")
        let exp = try #require(Self.claims(token)["exp"] as? Int)
        #expect(exp <= sessionExpiry)
        #expect((exchanged.json["expires_in"] as? Int).map { $0 <= 60 } == true)
        try await server.stop()
    }

    @Test func theKeyFileMustBePrivateAndTheDatabaseIsCreatedPrivate() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        for file in ["portcullis.sqlite", "portcullis.sqlite-wal", "portcullis.sqlite-shm"]
        where FileManager.default.fileExists(atPath: directory.path(file)) {
            let mode = try #require(
                (try FileManager.default.attributesOfItem(atPath: directory.path(file))[.posixPermissions] as? NSNumber)?.intValue
            )
            #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8)) while the server runs")
        }
        #expect(FileManager.default.fileExists(atPath: directory.path("portcullis.sqlite-wal")))
        try await server.stop()
        for file in ["portcullis.sqlite", "portcullis.key"] {
            let mode = try #require(
                (try FileManager.default.attributesOfItem(atPath: directory.path(file))[.posixPermissions] as? NSNumber)?.intValue
            )
            #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8))")
        }
        // A key file reached through a symlink (as mounted secrets are) is judged by the file itself.
        try FileManager.default.createSymbolicLink(atPath: directory.path("linked.key"), withDestinationPath: directory.path("portcullis.key"))
        let linked = try await ServerProcess.start(in: directory.url, arguments: ["--key-file", directory.path("linked.key")])
        try await linked.stop()
        chmod(directory.path("portcullis.key"), 0o644)
        do {
            let started = try await ServerProcess.start(in: directory.url)
            try await started.stop()
            Issue.record("the server started with a key file readable by others")
        } catch let failure as ServerFailedToStart {
            #expect(failure.log.contains("portcullis.key"))
            #expect(failure.log.contains("chmod 600") || failure.log.contains("0600"))
        }
    }

    @Test func httpsPublicURLsGetStrictTransportSecurity() async throws {
        let secureDirectory = try TemporaryDirectory()
        let plainDirectory = try TemporaryDirectory()
        let secure = try await ServerProcess.start(in: secureDirectory.url, arguments: ["--public-url", "https://auth.example.test"])
        for path in ["/healthz", "/v1/me", "/login"] {
            #expect(try await secure.request(.GET, path).headers["strict-transport-security"].first == "max-age=31536000")
        }
        try await secure.stop()
        let plain = try await ServerProcess.start(in: plainDirectory.url)
        #expect(try await plain.request(.GET, "/healthz").headers["strict-transport-security"].isEmpty)
        try await plain.stop()
    }

    @Test func jsonEndpointsRefuseOtherContentTypesAndFormsNeverCause500() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        let body = #"{"email":"ada@example.com","password":"correct horse battery staple"}"#
        for type in ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"] {
            let reply = try await server.request(.POST, "/v1/accounts", headers: ["content-type": type], body: body)
            #expect(reply.status == 415, "\(type): \(reply.status)")
            #expect(try await server.request(.POST, "/v1/sessions", headers: ["content-type": type], body: body).status == 415)
        }
        #expect(
            try await server.request(.POST, "/v1/accounts", headers: ["content-type": "application/json; charset=utf-8"], body: body).status == 201
        )
        for form in ["%zz=1", "email=a%", "email=%E0%A4%A&password=x", "=&&=", "email[]=a&email[x]=b"] {
            for path in ["/login", "/register"] {
                let reply = try await server.request(.POST, path, form: form)
                #expect((400..<500).contains(reply.status), "\(path) \(form): \(reply.status)")
            }
        }
        try await server.stop()
    }

    @Test func usersCreateValidatesRolesLikeTheAdminAPI() async throws {
        let directory = try TemporaryDirectory()
        for role in ["Bad Role", "admin!", "", String(repeating: "a", count: 65)] {
            let created = await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: ["--role", role])
            #expect(created.status != 0, "role '\(role)' was accepted")
        }
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: ["--role", "support:read"]).status == 0
        )
    }
}
