import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// Mail from the real executable to a real SMTP server on loopback: the links in received mail
/// are followed; an outage delays mail and a restart loses none; two instances send each
/// message once; and a reset request's answer does not depend on the account.
@Suite("Mail from the portcullis process", .serialized, .timeLimit(.minutes(4)))
struct MailProcessTests {
    static let newPassword = "a brand new passphrase for ada"

    /// The link to `path` in a received message's text part.
    static func link(_ path: String, in message: SMTPSink.Message) -> String? {
        message.part("text/plain")?.split(whereSeparator: \.isWhitespace).first { $0.contains(path + "?token=") }.map(String.init)
    }

    static func waitForMessage(_ sink: SMTPSink, count: Int, to recipient: String? = nil) async throws -> SMTPSink.Message {
        let messages = try await sink.waitForMessages(count)
        let matching = messages.filter { recipient == nil || $0.recipients.contains(recipient!) }
        return try #require(matching.last, "no message \(count) arrived")
    }

    @Test func verificationAndResetOverSTARTTLSWithAuthentication() async throws {
        let sink = try await SMTPSink(.init(startTLS: true, credentials: ("mailer", "s3cret")))
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            in: directory.url,
            arguments: [
                "--mail", "smtp://mailer:s3cret@localhost:\(sink.port)?starttls=required&cafile=\(sink.certificateAuthority.path)",
                "--mail-from", "Example <no-reply@example.test>",
            ]
        )
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        let verification = try await Self.waitForMessage(sink, count: 1)
        #expect(verification.encrypted && verification.authenticatedAs == "mailer")
        #expect(verification.sender == "no-reply@example.test" && verification.recipients == ["ada@example.com"])
        #expect(verification.header("From") == "\"Example\" <no-reply@example.test>")
        #expect(verification.header("Auto-Submitted") == "auto-generated")
        #expect(verification.header("Message-ID")?.hasSuffix("@example.test>") == true)
        // Links are built from the public URL (here the default, http://127.0.0.1:0, as the server
        // picked its own port): follow their path on this server.
        let verifyLink = try #require(Self.link("/verify-email", in: verification))
        let verifyPath = String(verifyLink[try #require(verifyLink.range(of: "/verify-email")).lowerBound...])
        #expect(verifyLink.hasPrefix("http://127.0.0.1:0/verify-email?token="))

        // Opening the link shows a button; only pressing it confirms.
        let login = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(login.sessionCookie)
        #expect(try await server.request(.GET, verifyPath).status == 200)
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).json["email_verified"] as? Bool == false)
        let token = String(verifyPath.split(separator: "=").last ?? "")
        #expect(try await server.request(.POST, "/verify-email", form: "token=\(token)").status == 303)
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).json["email_verified"] as? Bool == true)

        // A reset from the mail ends the session and the token the account had.
        let access = try #require(
            try await server.request(.POST, "/v1/token", form: "grant_type=password&username=ada@example.com&password=correct+horse+battery+staple")
                .json["access_token"] as? String
        )
        #expect(try await server.request(.POST, "/v1/password-reset", json: ["email": "ada@example.com"]).status == 202)
        let reset = try await Self.waitForMessage(sink, count: 2)
        let resetToken = try #require(Self.link("/reset-password", in: reset)?.split(separator: "=").last.map(String.init))
        #expect(
            try await server.request(.POST, "/v1/password-reset/confirm", json: ["token": resetToken, "password": Self.newPassword]).status == 204
        )
        #expect(try await server.request(.GET, "/v1/me", cookie: cookie).status == 401)
        #expect(try await server.request(.GET, "/v1/me", headers: ["authorization": "Bearer \(access)"]).status == 401)
        #expect(
            try await server.request(.POST, "/v1/password-reset/confirm", json: ["token": resetToken, "password": "yet another passphrase here"])
                .status == 400
        )
        let notice = try await Self.waitForMessage(sink, count: 3)
        #expect(notice.header("Subject")?.contains("password was changed") == true)
        try await server.stop()
    }

    @Test func plainSMTPAndTheFolderTransportDeliver() async throws {
        let sink = try await SMTPSink()
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--mail", "smtp://127.0.0.1:\(sink.port)"])
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        let message = try await Self.waitForMessage(sink, count: 1)
        #expect(!message.encrypted)
        #expect(message.header("From") == "\"Portcullis\" <no-reply@127.0.0.1>")
        try await server.stop()

        let folder = try TemporaryDirectory()
        let development = try await ServerProcess.start(in: directory.url, arguments: ["--mail", "file:\(folder.path("mail"))"])
        #expect(try await development.request(.POST, "/v1/accounts", json: ["email": "bob@example.com", "password": password]).status == 201)
        var files: [String] = []
        for _ in 0..<100 where files.isEmpty {
            files = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path("mail"))) ?? []).filter { $0.hasSuffix(".eml") }
            if files.isEmpty { try await Task.sleep(for: .milliseconds(50)) }
        }
        let file = try #require(files.first)
        let mode = try #require(
            (try FileManager.default.attributesOfItem(atPath: folder.path("mail/\(file)"))[.posixPermissions] as? NSNumber)?.intValue
        )
        #expect(mode & 0o077 == 0)
        #expect(try String(contentsOfFile: folder.path("mail/\(file)"), encoding: .utf8).contains("/verify-email?token="))
        try await development.stop()
    }

    @Test func aMailServerThatIsDownDelaysMailAndARestartLosesNone() async throws {
        let sink = try await SMTPSink()
        await sink.stop()
        let directory = try TemporaryDirectory()
        let arguments = ["--mail", "smtp://127.0.0.1:\(sink.port)"]
        let server = try await ServerProcess.start(in: directory.url, arguments: arguments)
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        try await Task.sleep(for: .seconds(2))
        // The mail waits in the store through a restart of Portcullis, then goes out.
        try await server.stop()
        try await sink.start()
        #expect(sink.messages().isEmpty)
        let restarted = try await ServerProcess.start(in: directory.url, arguments: arguments)
        let message = try await Self.waitForMessage(sink, count: 1)
        #expect(message.recipients == ["ada@example.com"])
        try await Task.sleep(for: .seconds(2))
        #expect(sink.messages().count == 1, "sent twice")
        try await restarted.stop()
    }

    @Test func twoInstancesOnPostgreSQLSendEachMessageOnce() async throws {
        let sink = try await SMTPSink()
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let shared = [
            "--database", database, "--key-file", directory.path("shared.key"), "--mail", "smtp://127.0.0.1:\(sink.port)", "--registration-throttle",
            "100/h",
        ]
        let a = try await ServerProcess.start(in: directory.url, arguments: shared)
        let b = try await ServerProcess.start(in: directory.url, arguments: shared)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<24 {
                group.addTask {
                    let status = try await (index.isMultiple(of: 2) ? a : b).request(
                        .POST,
                        "/v1/accounts",
                        json: ["email": "user\(index)@example.com", "password": password]
                    ).status
                    #expect(status == 201)
                }
            }
            try await group.waitForAll()
        }
        _ = try await sink.waitForMessages(24)
        try await Task.sleep(for: .seconds(3))  // room for a duplicate to show up
        let messages = sink.messages()
        #expect(messages.count == 24, "\(messages.count) messages for 24 accounts")
        #expect(Set(messages.compactMap { $0.header("Message-ID") }).count == messages.count)
        #expect(Set(messages.flatMap(\.recipients)) == Set((0..<24).map { "user\($0)@example.com" }))
        try await a.stop()
        try await b.stop()
    }

    @Test func aResetRequestAnswersAlikeWhetherOrNotTheAccountExists() async throws {
        let sink = try await SMTPSink()
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(
            in: directory.url,
            arguments: ["--mail", "smtp://127.0.0.1:\(sink.port)", "--login-throttle", "off"]
        )
        #expect(try await server.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": password]).status == 201)
        var known: [Duration] = []
        var unknown: [Duration] = []
        var bodies = Set<String>()
        for round in 0..<60 {
            let email = round.isMultiple(of: 2) ? "ada@example.com" : "nobody\(round)@example.com"
            let started = ContinuousClock.now
            let reply = try await server.request(.POST, "/v1/password-reset", json: ["email": email])
            let elapsed = ContinuousClock.now - started
            #expect(reply.status == 202)
            bodies.insert(reply.body)
            if round >= 10 { round.isMultiple(of: 2) ? known.append(elapsed) : unknown.append(elapsed) }
        }
        #expect(bodies.count == 1)
        let medianKnown = known.sorted()[known.count / 2]
        let medianUnknown = unknown.sorted()[unknown.count / 2]
        let ratio = max(medianKnown, medianUnknown) / min(medianKnown, medianUnknown)
        print("reset request medians: existing account \(medianKnown), no account \(medianUnknown), ratio \(ratio)")
        #expect(ratio < 1.5, "existing \(medianKnown), unknown \(medianUnknown)")
        try await server.stop()
    }
}
