#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A message waiting in the store's outbox, or claimed by an instance that is sending it.
///
/// The content (recipient, subject, bodies, which may carry a one-time link) is sealed with the
/// key-encryption key, like the signing keys, and erased once the message is sent or given up.
public struct OutboxMail: Sendable, Hashable {
    /// The message's id; also its `Message-ID`, so a repeat after an ambiguous failure is recognisable.
    public let id: String
    /// The sealed ``MailContent``.
    public let sealedContent: [UInt8]
    /// When it was queued.
    public let createdAt: Date
    /// How many sending attempts have failed.
    public let attempts: Int
    /// When the next attempt is due.
    public let nextAttemptAt: Date

    /// Creates a record.
    public init(id: String, sealedContent: [UInt8], createdAt: Date, attempts: Int = 0, nextAttemptAt: Date) {
        self.id = id
        self.sealedContent = sealedContent
        self.createdAt = createdAt
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
    }
}

/// What a message says: who to, the subject, a text body and an HTML alternative.
public struct MailContent: Sendable, Hashable, Codable {
    /// The recipient's address.
    public let to: String
    /// The subject.
    public let subject: String
    /// The plain-text body.
    public let text: String
    /// The HTML body, every interpolated value escaped.
    public let html: String

    /// Creates the content.
    public init(to: String, subject: String, text: String, html: String) {
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
    }
}
