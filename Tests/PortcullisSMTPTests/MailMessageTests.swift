import Foundation
import PortcullisTesting
import Testing

@testable import PortcullisSMTP

@Suite("Mail messages")
struct MailMessageTests {
    static let from = MailAddress("Portcullis <no-reply@auth.example.com>")!
    static let to = MailAddress("ada@example.com")!

    static func message(subject: String = "Reset your password", text: String = "Hello", html: String = "<p>Hello</p>") -> MailMessage {
        MailMessage(
            from: from,
            to: to,
            subject: subject,
            text: text,
            html: html,
            messageID: "m1@auth.example.com",
            date: Date(timeIntervalSince1970: 1_796_137_855)
        )
    }

    @Test func theMessageHasTheHeadersAReceiverExpects() {
        let rendered = Self.message().rendered(boundary: "b")
        let head = rendered.components(separatedBy: "\r\n\r\n")[0].components(separatedBy: "\r\n")
        #expect(head.contains("Date: Tue, 01 Dec 2026 15:10:55 +0000"))
        #expect(head.contains("From: \"Portcullis\" <no-reply@auth.example.com>"))
        #expect(head.contains("To: ada@example.com"))
        #expect(head.contains("Subject: Reset your password"))
        #expect(head.contains("Message-ID: <m1@auth.example.com>"))
        #expect(head.contains("Auto-Submitted: auto-generated"))
        #expect(head.contains("MIME-Version: 1.0"))
        #expect(rendered.contains("Content-Type: multipart/alternative;\r\n boundary=\"b\"\r\n"))
        #expect(rendered.contains("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(rendered.contains("Content-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable"))
        #expect(rendered.hasSuffix("--b--\r\n"))
    }

    @Test(arguments: [
        (0, "Thu, 01 Jan 1970 00:00:00 +0000"), (951_782_400, "Tue, 29 Feb 2000 00:00:00 +0000"), (4_107_542_399, "Sun, 28 Feb 2100 23:59:59 +0000"),
    ])
    func datesAreRFC5322(seconds: Int, expected: String) {
        #expect(MailMessage.rfc5322(Date(timeIntervalSince1970: TimeInterval(seconds))) == expected)
    }

    @Test func everyLineEndsInCRLFAndNoneIsLongerThan78() {
        let long = String(repeating: "déjà vu, ", count: 60) + "\n.starts with a dot\n" + String(repeating: "x", count: 300)
        let rendered = Self.message(subject: String(repeating: "Ünïcode ", count: 30), text: long, html: long).rendered()
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\n"))
        #expect(!rendered.replacingOccurrences(of: "\r\n", with: "").contains("\r"))
        for line in rendered.components(separatedBy: "\r\n") {
            #expect(line.utf8.count <= 78, "\(line)")
            #expect(line.utf8.allSatisfy { $0 < 0x80 }, "8-bit data in \(line)")
        }
    }

    @Test func quotedPrintableEncodesWhatItMustAndRoundTrips() {
        #expect(QuotedPrintable.encode("a=b é \n.dot\nend ") == "a=3Db =C3=A9=20\r\n=2Edot\r\nend=20")
        for text in [
            "plain", "trailing \t", String(repeating: "=", count: 200), "ligne très longue " + String(repeating: "à", count: 100), "a\r\nb\nc",
        ] {
            let decoded = SMTPSink.decodeQuotedPrintable(QuotedPrintable.encode(text))
            #expect(decoded == text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n"))
        }
    }

    @Test func dotStuffingDoublesLeadingDotsAndTheDataEndsWithALoneDot() {
        let data = Self.message(text: ".hidden\n..two", html: "x").smtpData
        #expect(data.hasSuffix("\r\n.\r\n"))
        let body = data.dropLast(5)
        #expect(!body.components(separatedBy: "\r\n").contains("."))
        for line in body.components(separatedBy: "\r\n") where line.hasPrefix(".") {
            #expect(line.hasPrefix(".."), "\(line)")
        }
    }

    @Test func headersCannotBeInjected() {
        #expect(MailAddress("ada@example.com\r\nBcc: eve@example.com") == nil)
        #expect(MailAddress(address: "ada@example.com>\r\nBcc:<eve@example.com") == nil)
        #expect(MailAddress(address: "ada@example.com", name: "Ada\r\nBcc: eve@example.com") == nil)
        #expect(MailAddress("no at sign") == nil)
        #expect(MailAddress("<ada@example.com") == nil)
        let rendered = Self.message(subject: "Hi\r\nBcc: eve@example.com").rendered()
        #expect(!rendered.contains("\r\nBcc:"))
        #expect(MailAddress("Ada \"the\" Lovelace <ada@example.com>")?.header == "\"Ada \\\"the\\\" Lovelace\" <ada@example.com>")
    }

    @Test func nonASCIIHeadersAreEncodedWords() throws {
        let rendered = Self.message(subject: "Réinitialisez votre mot de passe").rendered()
        #expect(rendered.contains("Subject: =?UTF-8?B?"))
        let name = try #require(MailAddress(address: "a@example.com", name: "Zoë")).header
        #expect(name == "=?UTF-8?B?Wm/Dqw==?= <a@example.com>")
    }

    @Test func repliesParseOneAtATime() throws {
        var buffer = Array("250-mail.example.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n354 go".utf8)
        let reply = try #require(try SMTPReply.parse(&buffer))
        #expect(reply.code == 250)
        #expect(reply.lines == ["mail.example.com", "STARTTLS", "AUTH PLAIN LOGIN"])
        #expect(reply.lines.offers("STARTTLS") && reply.lines.offers("AUTH"))
        #expect(try SMTPReply.parse(&buffer) == nil)  // "354 go" has no line end yet
        buffer += Array("\r\n".utf8)
        #expect(try SMTPReply.parse(&buffer)?.code == 354)
        #expect(buffer.isEmpty)
    }

    @Test(arguments: ["25\r\n", "abc hello\r\n", "250-a\r\n251 b\r\n", "250_x\r\n", "999 x\r\n", String(repeating: "2", count: 5000)])
    func malformedRepliesAreRefused(text: String) {
        var buffer = Array(text.utf8)
        #expect(throws: SMTPError.self) { try SMTPReply.parse(&buffer) }
    }

    /// A line of the longest allowed length reads the same whether it arrives whole or byte by
    /// byte: the parser used to refuse it while its CR waited for the LF (found by fuzzing).
    @Test func theLongestLineReadsTheSameWholeOrTrickling() throws {
        let line = Array(("250 " + String(repeating: "x", count: 4092) + "\r\n").utf8)
        var whole = line
        let expected = try #require(try SMTPReply.parse(&whole))
        var trickle: [UInt8] = []
        var reply: SMTPReply?
        for byte in line where reply == nil {
            trickle.append(byte)
            reply = try SMTPReply.parse(&trickle)
        }
        #expect(reply == expected)
    }
}
