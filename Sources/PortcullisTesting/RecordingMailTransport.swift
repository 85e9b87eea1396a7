public import Foundation
public import PortcullisCore
import Synchronization

/// A mail transport that keeps what it is given, and can be told to fail: for tests of the
/// outbox and of the flows that send mail, without a mail server.
public final class RecordingMailTransport: MailTransport {
    /// What the next sends do.
    public enum Mode: Sendable {
        /// Accept every message.
        case accept
        /// Fail every message, transiently (a server that is down) or permanently (a 5xx).
        case fail(transient: Bool)
    }

    private let state = Mutex<(mode: Mode, sent: [MailContent], attempts: Int)>((.accept, [], 0))

    /// A transport that accepts everything.
    public init() {}

    /// Changes what the next sends do.
    public func set(_ mode: Mode) { state.withLock { $0.mode = mode } }

    /// The messages accepted so far, oldest first.
    public var sent: [MailContent] { state.withLock { $0.sent } }

    /// How many sends were attempted, accepted or not.
    public var attempts: Int { state.withLock { $0.attempts } }

    public func send(_ content: MailContent, messageID: String, date: Date) async throws {
        try state.withLock { state in
            state.attempts += 1
            switch state.mode {
            case .accept: state.sent.append(content)
            case .fail(let transient): throw MailTransportFailure(isTransient: transient, description: "refused for the test")
            }
        }
    }

    /// The link to `path` (`/reset-password`, `/verify-email`) in the newest message to `recipient`.
    public func link(_ path: String, to recipient: String) -> String? {
        sent.last { $0.to == recipient && $0.text.contains(path + "?token=") }.flatMap { content in
            content.text.split(whereSeparator: \.isWhitespace).first { $0.contains(path + "?token=") }.map(String.init)
        }
    }

    /// The token in the link to `path` in the newest message to `recipient`.
    public func token(_ path: String, to recipient: String) -> String? {
        link(path, to: recipient).flatMap { $0.components(separatedBy: "token=").last }
    }
}
