import Foundation
import NIOHTTP1
import PortcullisHTTP
import PortcullisTesting
import Testing

let password = "correct horse battery staple"

/// The real executable over real HTTP on loopback, with a real SQLite file.
@Suite("The portcullis process")
struct ProcessLifecycleTests {
    @Test func sessionsAcknowledgedBeforeSIGKILLStillAuthenticateAfterRestart() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        var cookies: [String] = []
        for _ in 0..<3 {
            let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
            #expect(login.status == 201)
            cookies.append(try #require(login.sessionCookie))
        }
        #expect(try await server.stop(signal: SIGKILL) == SIGKILL)
        // The embedded default: portcullis.sqlite in the working directory.
        #expect(FileManager.default.fileExists(atPath: directory.path("portcullis.sqlite")))

        let restarted = try await ServerProcess.start(in: directory.url)
        for cookie in cookies {
            let me = try await restarted.request(.GET, "/v1/me", cookie: cookie)
            #expect(me.status == 200)
            #expect(me.json["email"] as? String == "ada@example.com")
        }
        #expect(try await restarted.stop() == 0)
    }

    @Test func theDatabaseFilesHoldNoCookieValueOrPasswordInClear() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).status == 200)
        try await server.stop(signal: SIGKILL)  // leave the write-ahead log as it is

        let files = try FileManager.default.contentsOfDirectory(atPath: directory.url.path).filter { $0.hasPrefix("portcullis.sqlite") }
        #expect(files.contains("portcullis.sqlite"))
        var everything = Data()
        for file in files { everything.append(try Data(contentsOf: directory.url.appendingPathComponent(file))) }
        #expect(everything.range(of: Data("ada@example.com".utf8)) != nil)  // the search itself works
        let rawSecret = try #require(Self.base64URLDecode(cookie))
        for secret in [Data(password.utf8), Data(cookie.utf8), Data(csrf.utf8), rawSecret] {
            #expect(everything.range(of: secret) == nil)
        }
    }

    @Test func sigtermShutsDownGracefully() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        #expect(try await server.request(.GET, "/healthz").status == 200)
        #expect(try await server.request(.GET, "/readyz").status == 200)
        #expect(try await server.stop(signal: SIGTERM) == 0)
    }

    @Test func settingsComeFromFlagsThenEnvironmentThenConfigFile() async throws {
        let directory = try TemporaryDirectory()
        let config = directory.url.appendingPathComponent("portcullis.json")
        try Data(#"{"session-idle": "10m", "session-absolute": "2h"}"#.utf8).write(to: config)
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url)
                .status == 0
        )

        func idleAndAbsolute(_ arguments: [String], _ environment: [String: String]) async throws -> (Int, String) {
            let server = try await ServerProcess.start(in: directory.url, arguments: arguments, environment: environment)
            let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
            try await server.stop()
            let session = try #require(login.json["session"] as? [String: Any])
            let idle = try #require(session["expires_at"] as? Int) - (try #require(session["created_at"] as? Int))
            return (idle, login.headers["set-cookie"].first ?? "")
        }
        let fromFile = try await idleAndAbsolute(["--config", config.path], [:])
        #expect(fromFile.0 == 600)
        #expect(fromFile.1.contains("Max-Age=7200"))
        let fromEnvironment = try await idleAndAbsolute([], ["PORTCULLIS_CONFIG": config.path, "PORTCULLIS_SESSION_IDLE": "20m"])
        #expect(fromEnvironment.0 == 1200)
        #expect(fromEnvironment.1.contains("Max-Age=7200"))
        let fromFlag = try await idleAndAbsolute(["--config", config.path, "--session-idle", "5m"], ["PORTCULLIS_SESSION_IDLE": "20m"])
        #expect(fromFlag.0 == 300)
    }

    @Test func badSettingsFailWithOneLineOnStderr() async throws {
        let directory = try TemporaryDirectory()
        let result = await PortcullisBinary.run(["serve", "--session-idle", "soon"], in: directory.url)
        #expect(result.status != 0)
        #expect(result.stderr.contains("session-idle"))
    }

    @Test func settingsFlagsTakeBothFormsRepeatAndRefuseUnknownNames() async throws {
        let directory = try TemporaryDirectory()
        await PortcullisBinary.createUser("ada@example.com", in: directory.url)
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--session-idle=7m", "--audience", "api", "--audience", "orders"])
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let session = try #require(login.json["session"] as? [String: Any])
        #expect(try #require(session["expires_at"] as? Int) - (try #require(session["created_at"] as? Int)) == 420)
        let token = try await server.request(
            .POST,
            "/v1/token",
            json: ["grant_type": "password", "username": "ada@example.com", "password": password, "audience": "orders"]
        )
        #expect(token.status == 200, "the second --audience is accepted")
        try await server.stop()
        for arguments in [["serve", "--bogus", "1"], ["serve", "--port"], ["serve", "stray"], ["serve", "--mail-from", "--session-idle=5m"]] {
            let result = await PortcullisBinary.run(arguments, in: directory.url)
            #expect(result.status != 0, "\(arguments) was accepted")
            #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)")
        }
        let help = await PortcullisBinary.run(["serve", "--help"], in: directory.url)
        for setting in ServerSetting.all where !setting.isCommon {
            #expect(help.stdout.contains("--\(setting.name) <value>"), "--\(setting.name) is missing from serve --help")
        }
    }

    @Test func aPortOutsideTCPsRangeIsRefusedNotWrapped() async throws {
        let directory = try TemporaryDirectory()
        for port in ["65536", "99999", "-1"] {
            let result = await PortcullisBinary.run(["serve", "--port", port], in: directory.url)
            #expect(result.status != 0, "--port \(port) was accepted")
            #expect(result.stderr.contains("port"))
        }
    }

    @Test func aGracefulShutdownLogsNoLostRevocationSignal() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        #expect(try await server.request(.GET, "/healthz").status == 200)
        #expect(try await server.stop(signal: SIGTERM) == 0)
        #expect(!server.log.contains("revocation signal lost"))
    }

    static func base64URLDecode(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }
}
