#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Hands one message to the outside world: a mail server, or a folder for development.
public protocol MailTransport: Sendable {
    /// Sends `content` with this `Message-ID` local part and `Date`.
    /// - Throws: ``MailTransportFailure`` saying whether a later attempt may succeed; any other
    ///   error counts as transient.
    func send(_ content: MailContent, messageID: String, date: Date) async throws
}

/// Why a transport could not send a message.
public struct MailTransportFailure: Error, Sendable, CustomStringConvertible {
    /// Whether trying again later may help (a server that is down, a 4xx) or not (a 5xx).
    public let isTransient: Bool
    /// What happened, without the message's content.
    public let description: String

    /// Creates a failure.
    public init(isTransient: Bool, description: String) {
        self.isTransient = isTransient
        self.description = description
    }
}
