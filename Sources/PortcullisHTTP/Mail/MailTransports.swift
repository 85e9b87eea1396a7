import Foundation
public import Logging
import NIOSSL
public import PortcullisCore
import PortcullisSMTP

/// The transport a ``MailSetting`` names: SMTP for a server, `.eml` files for a folder, none for off.
public enum MailTransports {
    /// The transport for `configuration`, or `nil` when mail is off.
    /// - Throws: ``ConfigurationError`` for a `--mail-from` that is not a mailbox.
    public static func make(_ configuration: ServerConfiguration, logger: Logger) throws -> (any MailTransport)? {
        guard let from = PortcullisSMTP.MailAddress(configuration.effectiveMailFrom) else {
            throw ConfigurationError(
                setting: "mail-from",
                value: configuration.effectiveMailFrom,
                expected: "Name <address@domain> or address@domain"
            )
        }
        switch configuration.mail {
        case .off:
            return nil
        case .folder(let path):
            return FolderMailTransport(folder: path, from: from)
        case .server(let server):
            if !server.implicitTLS && !server.requireSTARTTLS && !SMTPClient.isLoopback(server.host) {
                logger.warning(
                    "mail: STARTTLS is used only if the server offers it, so someone on the network can strip it and read reset links; add ?starttls=required or use smtps://",
                    metadata: ["portcullis.mail_host": "\(server.host)"]
                )
            }
            var smtp = SMTPClient.Configuration(
                host: server.host,
                port: server.port,
                security: server.implicitTLS ? .implicitTLS : .startTLS(required: server.requireSTARTTLS),
                credentials: server.username.map { ($0, server.password ?? "") },
                clientName: String(from.domain)
            )
            if let authority = server.certificateAuthority { smtp.trustRoots = .file(authority) }
            return SMTPMailTransport(client: SMTPClient(configuration: smtp, logger: logger), from: from)
        }
    }

    /// The message as it leaves: the content with the sender, a `Message-ID` in the sender's
    /// domain, and the date it was queued.
    static func message(_ content: MailContent, from: PortcullisSMTP.MailAddress, messageID: String, date: Date) throws -> MailMessage {
        guard let to = PortcullisSMTP.MailAddress(content.to) else {
            throw MailTransportFailure(isTransient: false, description: "the recipient is not a mailbox")
        }
        return MailMessage(
            from: from,
            to: to,
            subject: content.subject,
            text: content.text,
            html: content.html,
            messageID: "\(messageID)@\(from.domain)",
            date: date
        )
    }
}

/// Hands mail to an SMTP server.
struct SMTPMailTransport: MailTransport {
    let client: SMTPClient
    let from: PortcullisSMTP.MailAddress

    func send(_ content: MailContent, messageID: String, date: Date) async throws {
        let message = try MailTransports.message(content, from: from, messageID: messageID, date: date)
        do {
            try await client.send(message)
        } catch let error as SMTPError {
            throw MailTransportFailure(isTransient: error.isTransient, description: error.description)
        }
    }
}

/// Writes each message as an `.eml` file (readable only by its owner) into a folder: for
/// development, where a link is followed by opening the file.
struct FolderMailTransport: MailTransport {
    let folder: String
    let from: PortcullisSMTP.MailAddress

    func send(_ content: MailContent, messageID: String, date: Date) async throws {
        let message = try MailTransports.message(content, from: from, messageID: messageID, date: date)
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let name = "\(Int64(date.timeIntervalSince1970))-\(messageID).eml"
        let path = (folder as NSString).appendingPathComponent(name)
        let partial = path + ".part"
        guard FileManager.default.createFile(atPath: partial, contents: Data(message.rendered().utf8), attributes: [.posixPermissions: 0o600]) else {
            throw MailTransportFailure(isTransient: true, description: "cannot write \(partial)")
        }
        // A whole file or none: a reader never sees half a message.
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }  // a retry after a failed rename
        try FileManager.default.moveItem(atPath: partial, toPath: path)
    }
}
