import Foundation

/// Where mail goes (`--mail`): nowhere, a folder of `.eml` files, or a mail server.
public enum MailSetting: Sendable, Hashable {
    /// No mail: the features that need it answer 503 and the pages do not offer them.
    case off
    /// One `.eml` file per message in this folder (for development).
    case folder(String)
    /// A mail server.
    case server(MailServer)

    /// A mail server and how to reach it.
    public struct MailServer: Sendable, Hashable {
        /// The host.
        public var host: String
        /// The port (587 for `smtp://`, 465 for `smtps://` unless given).
        public var port: Int
        /// TLS from the first byte (`smtps://`) rather than STARTTLS.
        public var implicitTLS: Bool
        /// Refuse to send unless the server offers STARTTLS (`?starttls=required`).
        public var requireSTARTTLS: Bool
        /// AUTH user name, if any.
        public var username: String?
        /// AUTH password, if any.
        public var password: String?
        /// A CA file (PEM) to trust instead of the system's roots (`?cafile=…`).
        public var certificateAuthority: String?
    }

    /// Parses `off`, `file:DIR`, `smtp://[USER:PASS@]HOST[:PORT][?starttls=required][&cafile=PATH]`
    /// or `smtps://…`; `nil` when malformed.
    public init?(setting text: String) {
        if text == "off" {
            self = .off
            return
        }
        if text.hasPrefix("file:") {
            let path = String(text.dropFirst("file:".count))
            guard !path.isEmpty else { return nil }
            self = .folder(path)
            return
        }
        guard let url = URLComponents(string: text), let scheme = url.scheme, ["smtp", "smtps"].contains(scheme),
            let host = url.host, !host.isEmpty
        else { return nil }
        let query = Dictionary((url.queryItems ?? []).map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { $1 })
        guard Set(query.keys).isSubset(of: ["starttls", "cafile"]), (query["starttls"] ?? "required") == "required" else { return nil }
        self = .server(
            MailServer(
                host: host,
                port: url.port ?? (scheme == "smtps" ? 465 : 587),
                implicitTLS: scheme == "smtps",
                requireSTARTTLS: query["starttls"] == "required",
                username: url.user.map { $0.removingPercentEncoding ?? $0 },
                password: url.password.map { $0.removingPercentEncoding ?? $0 },
                certificateAuthority: query["cafile"]
            )
        )
    }

    /// Whether mail is on.
    public var isOn: Bool { self != .off }
}
