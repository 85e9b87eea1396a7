import Crypto
import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Writes the mail of account recovery: the verification link, the reset link and the "your
/// password was changed" notice, each as a ``StoreWrite`` to go into the transaction of the
/// change that causes it.
///
/// A link's secret is 256 random bits; only its SHA-256 is stored (``OneTimeToken``). The
/// message itself, which carries the link, is sealed with the key-encryption key in the outbox
/// and erased once sent, so a copy of the database holds no usable link.
public struct AccountMailer: Sendable {
    /// What the mail says and links to.
    public struct Settings: Sendable {
        /// The origin links point at (`https://auth.example.com`).
        public var publicURL: String
        /// The name the mail signs with.
        public var serviceName: String
        /// How long a reset link works.
        public var resetLifetime: Duration
        /// How long a verification link works.
        public var verificationLifetime: Duration

        /// Creates settings; links work 30 minutes (reset) and 24 hours (verification).
        public init(
            publicURL: String,
            serviceName: String = "Portcullis",
            resetLifetime: Duration = .seconds(1800),
            verificationLifetime: Duration = .seconds(86400)
        ) {
            self.publicURL = publicURL
            self.serviceName = serviceName
            self.resetLifetime = resetLifetime
            self.verificationLifetime = verificationLifetime
        }
    }

    /// The settings in force.
    public let settings: Settings
    private let encryption: KeyEncryptionKey
    private let clock: any WallClock

    /// Creates the mailer.
    public init(settings: Settings, encryption: KeyEncryptionKey, clock: any WallClock = SystemClock()) {
        self.settings = settings
        self.encryption = encryption
        self.clock = clock
    }

    /// A verification link for the account's address: the token and its mail.
    public func verification(for account: Account) throws -> [StoreWrite] {
        try link(.verifyEmail, for: account, lifetime: settings.verificationLifetime, path: "verify-email") { link, lifetime in
            Self.content(
                to: account.email,
                subject: "Confirm your email address for \(settings.serviceName)",
                paragraphs: ["Confirm that \(account.email) is your address by opening this link (it works for \(lifetime)):"],
                link: link,
                linkText: "Confirm my email address",
                closing: "If you did not create an account with \(settings.serviceName), ignore this message.",
                signature: settings.serviceName
            )
        }
    }

    /// A reset link for the account: the token and its mail.
    public func reset(for account: Account) throws -> [StoreWrite] {
        try link(.resetPassword, for: account, lifetime: settings.resetLifetime, path: "reset-password") { link, lifetime in
            Self.content(
                to: account.email,
                subject: "Reset your \(settings.serviceName) password",
                paragraphs: [
                    "Someone asked to reset the password of \(account.email). To choose a new one, open this link (it works once, for \(lifetime)):"
                ],
                link: link,
                linkText: "Choose a new password",
                closing: "If it was not you, ignore this message: your password stays as it is.",
                signature: settings.serviceName
            )
        }
    }

    /// The notice that the account's password has changed, sent to its address.
    public func passwordChangedNotice(for account: Account) throws -> StoreWrite {
        try enqueue(
            Self.content(
                to: account.email,
                subject: "Your \(settings.serviceName) password was changed",
                paragraphs: [
                    "The password of \(account.email) was changed, and every other device and app signed in to it was signed out.",
                    "If you did not do this, reset your password at once and tell us.",
                ],
                link: settings.publicURL + "/forgot-password",
                linkText: "Reset my password",
                closing: nil,
                signature: settings.serviceName
            )
        )
    }

    /// The content of a queued message.
    public func open(_ mail: OutboxMail) throws -> MailContent {
        let plain = try encryption.open(mail.sealedContent, context: Self.context(mail.id))
        return try JSONDecoder().decode(MailContent.self, from: Data(plain))
    }

    /// The SHA-256 of a link's secret, as the store keeps it; `nil` for text no link carries.
    public static func tokenHash(_ token: String) -> [UInt8]? {
        guard token.utf8.count == 43, let bytes = Base64.decode(token), bytes.count == 32 else { return nil }
        return Array(SHA256.hash(data: bytes))
    }

    // MARK: Composition

    private func link(
        _ purpose: OneTimeToken.Purpose,
        for account: Account,
        lifetime: Duration,
        path: String,
        content: (String, String) -> MailContent
    ) throws -> [StoreWrite] {
        let secret = SecureRandom.bytes(32)
        let now = Date(epochSeconds: clock.now.epochSeconds)
        let token = OneTimeToken(
            hash: Array(SHA256.hash(data: secret)),
            purpose: purpose,
            accountID: account.id,
            email: account.email,
            createdAt: now,
            expiresAt: now.addingTimeInterval(lifetime.timeInterval)
        )
        let link = "\(settings.publicURL)/\(path)?token=\(Base64.encode(secret))"
        return [.insertOneTimeToken(token), try enqueue(content(link, Self.spoken(lifetime)))]
    }

    private func enqueue(_ content: MailContent) throws -> StoreWrite {
        let id = UUID().uuidString.lowercased()
        let now = Date(epochSeconds: clock.now.epochSeconds)
        let sealed = try encryption.seal(Array(try JSONEncoder().encode(content)), context: Self.context(id))
        return .enqueueMail(OutboxMail(id: id, sealedContent: sealed, createdAt: now, nextAttemptAt: now))
    }

    private static func context(_ id: String) -> String { "outbox:\(id)" }

    /// A text part and an HTML alternative of the same words; every value in the HTML escaped.
    static func content(
        to: String,
        subject: String,
        paragraphs: [String],
        link: String,
        linkText: String,
        closing: String?,
        signature: String
    ) -> MailContent {
        let text = (paragraphs + [link] + [closing].compactMap { $0 } + ["— \(signature)"]).joined(separator: "\n\n")
        let body =
            paragraphs.map { "<p>\(HTMLText.escape($0))</p>" }
            + [
                "<p><a href=\"\(HTMLText.escape(link))\">\(HTMLText.escape(linkText))</a></p>",
                "<p style=\"color:#555\">\(HTMLText.escape(link))</p>",
            ]
            + [closing].compactMap { $0 }.map { "<p>\(HTMLText.escape($0))</p>" }
            + ["<p>— \(HTMLText.escape(signature))</p>"]
        let html =
            "<!doctype html><html><body style=\"font-family:sans-serif;line-height:1.5\">\n" + body.joined(separator: "\n") + "\n</body></html>"
        return MailContent(to: to, subject: subject, text: text, html: html)
    }

    /// "30 minutes", "24 hours", "2 days".
    static func spoken(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        func unit(_ count: Int64, _ name: String) -> String { "\(count) \(name)\(count == 1 ? "" : "s")" }
        if seconds % 86400 == 0, seconds >= 86400 * 2 { return unit(seconds / 86400, "day") }
        if seconds % 3600 == 0 { return unit(seconds / 3600, "hour") }
        if seconds % 60 == 0 { return unit(seconds / 60, "minute") }
        return unit(seconds, "second")
    }
}
