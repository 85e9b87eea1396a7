/// Why a message could not be handed to the mail server.
public struct SMTPError: Error, Sendable, CustomStringConvertible {
    private enum Base: Sendable {
        case refused(SMTPReply, String)
        case malformedReply
        case tlsUnavailable
        case authenticationUnavailable(String)
        case closed
        case timedOut
    }
    private let base: Base
    private init(_ base: Base) { self.base = base }

    /// The server answered `command` with a failure.
    static func refused(_ reply: SMTPReply, to command: String) -> SMTPError { SMTPError(.refused(reply, command)) }
    /// The server sent something that is not an SMTP reply.
    static let malformedReply = SMTPError(.malformedReply)
    /// STARTTLS was required and the server does not offer it.
    static let tlsUnavailable = SMTPError(.tlsUnavailable)
    /// Credentials were given and cannot be used (`why`).
    static func authenticationUnavailable(_ why: String) -> SMTPError { SMTPError(.authenticationUnavailable(why)) }
    /// The connection ended before the conversation did.
    static let closed = SMTPError(.closed)
    /// The server did not answer in time.
    static let timedOut = SMTPError(.timedOut)

    /// Whether sending again later may succeed: everything but a permanent (5xx) refusal.
    public var isTransient: Bool {
        if case .refused(let reply, _) = base { return reply.isTransient }
        return true
    }

    public var description: String {
        switch base {
        case .refused(let reply, let command): "the server refused \(command): \(reply)"
        case .malformedReply: "the server's reply is not SMTP"
        case .tlsUnavailable: "the server does not offer STARTTLS, which the configuration requires"
        case .authenticationUnavailable(let why): "cannot authenticate: \(why)"
        case .closed: "the server closed the connection"
        case .timedOut: "the server did not answer in time"
        }
    }
}
