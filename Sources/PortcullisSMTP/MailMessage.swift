#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// One message: a text part and an HTML alternative, rendered as RFC 5322 + MIME with CRLF line
/// ends and no line over 78 characters. Every header is built from checked values (see
/// ``MailAddress``); user data only ever reaches the encoded bodies.
public struct MailMessage: Sendable {
    /// The sender.
    public var from: MailAddress
    /// The recipient.
    public var to: MailAddress
    /// The subject (any Unicode; encoded as needed).
    public var subject: String
    /// The plain-text part.
    public var text: String
    /// The HTML part, already escaped by whoever built it.
    public var html: String
    /// The `Message-ID` without angle brackets; the same on every retry, so a receiver can tell a
    /// repeat.
    public var messageID: String
    /// The `Date` header.
    public var date: Date

    /// Creates a message.
    public init(from: MailAddress, to: MailAddress, subject: String, text: String, html: String, messageID: String, date: Date) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.messageID = messageID
        self.date = date
    }

    /// The message as it goes after `DATA` (before dot-stuffing), or into a `.eml` file.
    public func rendered(boundary: String = "=_portcullis_" + UUID().uuidString) -> String {
        let headers = [
            "Date: \(Self.rfc5322(date))",
            "From: \(from.header)",
            "To: \(to.header)",
            "Subject: \(HeaderText.unstructured(subject))",
            "Message-ID: <\(messageID.filter { $0 != "<" && $0 != ">" && !$0.isWhitespace })>",
            "MIME-Version: 1.0",
            "Auto-Submitted: auto-generated",
            "Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"",
        ]
        let parts = [("text/plain", text), ("text/html", html)].map { type, body in
            "--\(boundary)\r\nContent-Type: \(type); charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\(QuotedPrintable.encode(body))\r\n"
        }
        return headers.joined(separator: "\r\n") + "\r\n\r\n" + parts.joined() + "--\(boundary)--\r\n"
    }

    /// `Tue, 01 Dec 2026 15:04:05 +0000`, written by hand: no locale, no formatter.
    static func rfc5322(_ date: Date) -> String {
        let seconds = Int64(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let secondOfDay = Int(seconds - days * 86400)
        // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        let weekday = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"][Int(((days % 7) + 7) % 7)]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return
            "\(weekday), \(two(Int(day))) \(months[Int(month) - 1]) \(year) \(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60)) +0000"
    }
}

extension MailMessage {
    /// The DATA payload: the rendered message with every line that starts with "." given a
    /// second one (RFC 5321 §4.5.2), ending with the lone "." that closes it.
    var smtpData: String {
        let lines = rendered().split(separator: "\r\n", omittingEmptySubsequences: false)
        let stuffed = lines.map { $0.hasPrefix(".") ? "." + $0 : String($0) }
        // `rendered()` ends with CRLF, so the last element is empty: the terminator follows it.
        return stuffed.dropLast().joined(separator: "\r\n") + "\r\n.\r\n"
    }
}
