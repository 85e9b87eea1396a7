import Foundation
import NIOSSL
import PortcullisSMTP
import PortcullisTesting
import Testing

/// The client against a real SMTP server on loopback (aiosmtpd), plain, with STARTTLS, and with
/// implicit TLS.
@Suite("SMTP client", .serialized, .timeLimit(.minutes(2)))
struct SMTPClientTests {
    static func message(
        _ to: String = "ada@example.com",
        text: String = "Your link: https://auth.example.com/reset-password?token=abc\n.a line with a dot"
    ) -> MailMessage {
        MailMessage(
            from: MailAddress("Portcullis <no-reply@auth.example.com>")!,
            to: MailAddress(to)!,
            subject: "Reset your password",
            text: text,
            html: "<p>Your <a href=\"https://auth.example.com/x\">link</a></p>",
            messageID: UUID().uuidString + "@auth.example.com",
            date: Date()
        )
    }

    @Test func plainSMTPDelivers() async throws {
        let sink = try await SMTPSink()
        let sent = Self.message()
        try await SMTPClient(configuration: .init(host: "127.0.0.1", port: sink.port)).send(sent)
        let received = try #require(try await sink.waitForMessages(1).first)
        #expect(received.recipients == ["ada@example.com"])
        #expect(received.sender == "no-reply@auth.example.com")
        #expect(!received.encrypted)
        #expect(received.header("Subject") == "Reset your password")
        #expect(received.header("Message-ID") == "<\(sent.messageID)>")
        #expect(received.part("text/plain")?.contains("https://auth.example.com/reset-password?token=abc") == true)
        #expect(received.part("text/plain")?.contains("\r\n.a line with a dot") == true, "dot-stuffing undone by the server")
        #expect(received.part("text/html")?.contains("<a href=\"https://auth.example.com/x\">link</a>") == true)
    }

    @Test func startTLSIsUsedAndVerifiedAndAuthenticationFollowsIt() async throws {
        let sink = try await SMTPSink(.init(startTLS: true, credentials: ("mailer", "s3cret")))
        let configuration = SMTPClient.Configuration(
            host: "localhost",
            port: sink.port,
            security: .startTLS(required: true),
            credentials: ("mailer", "s3cret"),
            trustRoots: .file(sink.certificateAuthority.path)
        )
        try await SMTPClient(configuration: configuration).send(Self.message())
        let received = try #require(try await sink.waitForMessages(1).first)
        #expect(received.encrypted)
        #expect(received.authenticatedAs == "mailer")

        // The wrong password is refused, and that is permanent, not a reason to retry.
        var wrong = configuration
        wrong.credentials = ("mailer", "guess")
        do {
            try await SMTPClient(configuration: wrong).send(Self.message())
            Issue.record("a wrong password was accepted")
        } catch let error as SMTPError {
            #expect(!error.isTransient)
            #expect(!"\(error)".contains("guess"))
        }
    }

    @Test func aCertificateFromAnotherAuthorityIsRefused() async throws {
        let sink = try await SMTPSink(.init(startTLS: true))
        // The system's roots do not include the sink's throwaway CA.
        let configuration = SMTPClient.Configuration(host: "localhost", port: sink.port, security: .startTLS(required: true))
        await #expect(throws: (any Error).self) { try await SMTPClient(configuration: configuration).send(Self.message()) }
        #expect(sink.messages().isEmpty)
    }

    @Test func implicitTLSDelivers() async throws {
        let sink = try await SMTPSink(.init(implicitTLS: true))
        let configuration = SMTPClient.Configuration(
            host: "localhost",
            port: sink.port,
            security: .implicitTLS,
            trustRoots: .file(sink.certificateAuthority.path)
        )
        try await SMTPClient(configuration: configuration).send(Self.message())
        #expect(try await sink.waitForMessages(1).count == 1)
    }

    @Test func requiredSTARTTLSIsNotSkippedAndPlainAuthIsRefusedOffLoopback() async throws {
        let sink = try await SMTPSink()
        await #expect(throws: SMTPError.self) {
            try await SMTPClient(configuration: .init(host: "127.0.0.1", port: sink.port, security: .startTLS(required: true))).send(Self.message())
        }
        #expect(sink.messages().isEmpty)
    }

    @Test func aTemporaryRefusalIsTransient() async throws {
        let sink = try await SMTPSink(.init(refuseFirst: 1))
        let client = SMTPClient(configuration: .init(host: "127.0.0.1", port: sink.port))
        do {
            try await client.send(Self.message())
            Issue.record("the 451 was not reported")
        } catch let error as SMTPError {
            #expect(error.isTransient)
        }
        try await client.send(Self.message())
        #expect(try await sink.waitForMessages(1).count == 1)
    }

    @Test func aServerThatIsDownIsAnErrorNotAHang() async throws {
        let sink = try await SMTPSink()
        await sink.stop()
        let started = ContinuousClock.now
        await #expect(throws: (any Error).self) {
            try await SMTPClient(configuration: .init(host: "127.0.0.1", port: sink.port)).send(Self.message())
        }
        #expect(ContinuousClock.now - started < .seconds(15))
    }
}

extension SMTPClientTests {
    @Test func onlyThisMachineCountsAsLoopback() {
        for host in ["localhost", "127.0.0.1", "127.8.9.10", "::1"] { #expect(SMTPClient.isLoopback(host), "\(host)") }
        for host in ["127.attacker.example", "127.0.0.1.example", "1270.0.0.1", "mail.example.com", "10.0.0.1", "127.0.0"] {
            #expect(!SMTPClient.isLoopback(host), "\(host)")
        }
    }

    /// Someone between the client and the server answers STARTTLS with the server's 220 followed,
    /// in the same packet, by a forged reply: the client must not take plaintext for something
    /// said inside TLS.
    @Test func repliesInjectedBeforeTheTLSHandshakeAreRefused() async throws {
        let script = """
            import socket, sys
            listener = socket.socket(); listener.bind(("127.0.0.1", 0)); listener.listen(1)
            print(listener.getsockname()[1], flush=True)
            connection, _ = listener.accept()
            connection.sendall(b"220 mail.example ESMTP\\r\\n")
            connection.recv(1024)
            connection.sendall(b"250-mail.example\\r\\n250-AUTH PLAIN\\r\\n250 STARTTLS\\r\\n")
            connection.recv(1024)
            connection.sendall(b"220 Go ahead\\r\\n250-mail.example\\r\\n250 AUTH PLAIN\\r\\n")
            connection.recv(1024)
            connection.close()
            """
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", script]
        let output = Pipe()
        server.standardOutput = output
        try server.run()
        defer { server.terminate() }
        let line = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
        let port = try #require(Int(line.trimmingCharacters(in: .whitespacesAndNewlines)))
        let client = SMTPClient(
            configuration: .init(host: "127.0.0.1", port: port, security: .startTLS(required: true), credentials: ("ada", "secret"))
        )
        do {
            try await client.send(Self.message())
            Issue.record("the client went on after an injected reply")
        } catch let error as SMTPError {
            #expect(error.description == "the server's reply is not SMTP", "\(error)")
        }
    }
}
