public import Logging
public import NIOCore
public import NIOPosix
public import NIOSSL

/// Hands messages to a mail server (a submission port or a relay) over SMTP (RFC 5321):
/// `EHLO`, `STARTTLS` (RFC 3207) or implicit TLS (RFC 8314), `AUTH PLAIN` or `AUTH LOGIN`
/// (RFC 4954), one recipient per message, `DATA` with dot-stuffing, `QUIT`. One connection per
/// message: transactional mail is rare, and a fresh connection needs no keep-alive logic.
///
/// Credentials never cross an unencrypted connection unless the server is on loopback.
public struct SMTPClient: Sendable {
    /// Where and how to connect.
    public struct Configuration: Sendable {
        /// How the connection is protected.
        public enum Security: Sendable, Hashable {
            /// TLS from the first byte (`smtps://`, usually port 465).
            case implicitTLS
            /// `STARTTLS` when the server offers it; with `required`, only then.
            case startTLS(required: Bool)
        }

        /// The server's host name (also checked against its certificate).
        public var host: String
        /// The server's port.
        public var port: Int
        /// The protection.
        public var security: Security
        /// `AUTH` credentials, if the server wants them.
        public var credentials: (username: String, password: String)?
        /// The name this client gives in `EHLO`.
        public var clientName: String
        /// Extra trusted roots (a PEM file), for a server with a private CA.
        public var trustRoots: NIOSSLTrustRoots
        /// The longest one message may take, connection to `QUIT`.
        public var timeout: Duration

        /// Creates a configuration; by default STARTTLS when offered, the system's trust roots, 30 s.
        public init(
            host: String,
            port: Int,
            security: Security = .startTLS(required: false),
            credentials: (username: String, password: String)? = nil,
            clientName: String = "localhost",
            trustRoots: NIOSSLTrustRoots = .default,
            timeout: Duration = .seconds(30)
        ) {
            self.host = host
            self.port = port
            self.security = security
            self.credentials = credentials
            self.clientName = clientName
            self.trustRoots = trustRoots
            self.timeout = timeout
        }
    }

    /// The configuration in force.
    public let configuration: Configuration
    private let group: any EventLoopGroup
    private let logger: Logger

    /// Creates a client.
    public init(
        configuration: Configuration,
        eventLoopGroup: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton,
        logger: Logger = Logger(label: "portcullis.smtp", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.configuration = configuration
        self.group = eventLoopGroup
        self.logger = logger
    }

    /// Sends `message`, or throws an ``SMTPError`` (whose ``SMTPError/isTransient`` says whether
    /// trying again later may help) or a connection or TLS error.
    public func send(_ message: MailMessage) async throws {
        let timeout = configuration.timeout
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await self.converse(message) }
            group.addTask {
                try await Task.sleep(for: timeout)
                throw SMTPError.timedOut
            }
            defer { group.cancelAll() }
            try await group.next()
        }
    }

    private func converse(_ message: MailMessage) async throws {
        let configuration = self.configuration
        let tls = try Self.tlsContext(configuration)
        let channel = try await ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .connect(host: configuration.host, port: configuration.port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if configuration.security == .implicitTLS {
                        try channel.pipeline.syncOperations.addHandler(
                            try NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(configuration.host))
                        )
                    }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        try await channel.executeThenClose { inbound, outbound in
            var session = Session(inbound: inbound.makeAsyncIterator(), outbound: outbound, logger: logger)
            try await session.expect(220, to: "the greeting")
            var capabilities = try await session.command("EHLO \(configuration.clientName)", expect: 250)
            var encrypted = configuration.security == .implicitTLS
            if case .startTLS(let required) = configuration.security {
                if capabilities.offers("STARTTLS") {
                    _ = try await session.command("STARTTLS", expect: 220)
                    // Anything after the 220 arrived in plaintext, so whoever sent it is not
                    // necessarily the server: it must not be read as a reply from inside TLS.
                    guard session.buffer.isEmpty else { throw SMTPError.malformedReply }
                    try await channel.channel.pipeline.addHandler(
                        try NIOSSLClientHandler(context: tls, serverHostname: Self.sniName(configuration.host)),
                        position: .first
                    ).get()
                    encrypted = true
                    capabilities = try await session.command("EHLO \(configuration.clientName)", expect: 250)
                } else if required {
                    throw SMTPError.tlsUnavailable
                }
            }
            if let (username, password) = configuration.credentials {
                guard encrypted || Self.isLoopback(configuration.host) else {
                    throw SMTPError.authenticationUnavailable("the connection is not encrypted")
                }
                try await session.authenticate(username: username, password: password, capabilities: capabilities)
            }
            _ = try await session.command("MAIL FROM:<\(message.from.address)>", expect: 250)
            _ = try await session.command("RCPT TO:<\(message.to.address)>", expect: 250, 251)
            _ = try await session.command("DATA", expect: 354)
            try await session.write(message.smtpData)
            try await session.expect(250, to: "the message")
            _ = try? await session.command("QUIT", expect: 221)
        }
    }

    private static func tlsContext(_ configuration: Configuration) throws -> NIOSSLContext {
        var tls = TLSConfiguration.makeClientConfiguration()
        tls.trustRoots = configuration.trustRoots
        return try NIOSSLContext(configuration: tls)
    }

    /// SNI takes host names only, not addresses.
    private static func sniName(_ host: String) -> String? {
        host.allSatisfy { $0.isNumber || $0 == "." || $0 == ":" } ? nil : host
    }

    /// Whether `host` is this machine: `localhost`, `::1` or an IPv4 address in 127.0.0.0/8
    /// (an address, not a name that happens to start with `127.`).
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.allSatisfy { UInt8($0) != nil } && octets[0] == "127"
    }
}

/// One conversation's reads and writes.
private struct Session {
    var inbound: NIOAsyncChannelInboundStream<ByteBuffer>.AsyncIterator
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>
    let logger: Logger
    var buffer: [UInt8] = []

    /// Sends `line` and reads the reply, which must have one of `codes`. - Returns: its lines.
    /// - Parameter name: what errors call the command (never the line itself, which may carry
    ///   credentials); its verb by default.
    mutating func command(_ line: String, expect codes: Int..., named name: String? = nil) async throws -> [String] {
        try await write(line + "\r\n")
        let reply = try await readReply()
        guard codes.contains(reply.code) else { throw SMTPError.refused(reply, to: name ?? String(line.prefix { $0 != " " && $0 != ":" })) }
        return reply.lines
    }

    mutating func expect(_ code: Int, to what: String) async throws {
        let reply = try await readReply()
        guard reply.code == code else { throw SMTPError.refused(reply, to: what) }
    }

    func write(_ text: String) async throws {
        try await outbound.write(ByteBuffer(string: text))
    }

    mutating func readReply() async throws -> SMTPReply {
        while true {
            if let reply = try SMTPReply.parse(&buffer) {
                logger.trace("smtp reply", metadata: ["smtp.code": "\(reply.code)"])
                return reply
            }
            guard let chunk = try await inbound.next() else { throw SMTPError.closed }
            buffer += chunk.readableBytesView
        }
    }

    /// `AUTH PLAIN` when offered, else `AUTH LOGIN`.
    mutating func authenticate(username: String, password: String, capabilities: [String]) async throws {
        let mechanisms =
            capabilities.first { $0.uppercased().hasPrefix("AUTH") }.map { $0.uppercased().split(separator: " ").dropFirst().map(String.init) } ?? []
        if mechanisms.contains("PLAIN") {
            let token = Base64Text.encode([0] + Array(username.utf8) + [0] + Array(password.utf8))
            _ = try await command("AUTH PLAIN \(token)", expect: 235, named: "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            _ = try await command("AUTH LOGIN", expect: 334)
            _ = try await command(Base64Text.encode(Array(username.utf8)), expect: 334, named: "AUTH LOGIN (user name)")
            _ = try await command(Base64Text.encode(Array(password.utf8)), expect: 235, named: "AUTH LOGIN (password)")
        } else {
            throw SMTPError.authenticationUnavailable("the server offers neither AUTH PLAIN nor AUTH LOGIN")
        }
    }
}

extension [String] {
    /// Whether an `EHLO` reply lists `keyword` (the first word of a line, case ignored).
    func offers(_ keyword: String) -> Bool {
        contains { $0.split(separator: " ").first?.uppercased() == keyword }
    }
}
