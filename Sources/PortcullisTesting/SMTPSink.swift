public import Foundation

/// A real SMTP server on loopback (Python's aiosmtpd, run by `Tests/Mail/smtp_sink.py`) that keeps
/// every message it accepts, for tests of Portcullis's mail. It can require STARTTLS or speak
/// implicit TLS with a throwaway certificate, require AUTH, refuse the first messages with a
/// 451, and be stopped and started again on the same port.
public final class SMTPSink: @unchecked Sendable {
    /// How the server behaves.
    public struct Options: Sendable {
        /// Require STARTTLS before MAIL FROM.
        public var startTLS = false
        /// TLS from the first byte instead.
        public var implicitTLS = false
        /// Require AUTH with these credentials.
        public var credentials: (user: String, password: String)?
        /// Answer 451 to this many messages first.
        public var refuseFirst = 0

        /// Plain SMTP, no AUTH.
        public init(startTLS: Bool = false, implicitTLS: Bool = false, credentials: (user: String, password: String)? = nil, refuseFirst: Int = 0) {
            self.startTLS = startTLS
            self.implicitTLS = implicitTLS
            self.credentials = credentials
            self.refuseFirst = refuseFirst
        }
    }

    /// One message as received.
    public struct Message: Sendable {
        /// The whole message (headers and MIME body) as the server got it.
        public let raw: String
        /// The envelope's sender (`MAIL FROM`).
        public let sender: String
        /// The envelope's recipients (`RCPT TO`).
        public let recipients: [String]
        /// Whether the session was encrypted (STARTTLS or implicit TLS).
        public let encrypted: Bool
        /// Who authenticated, if anyone did.
        public let authenticatedAs: String?

        /// The value of the first header `name` (case ignored), unfolded.
        public func header(_ name: String) -> String? {
            let head = raw.components(separatedBy: "\r\n\r\n").first ?? raw
            let unfolded = head.replacingOccurrences(of: "\r\n ", with: " ").replacingOccurrences(of: "\r\n\t", with: " ")
            return unfolded.components(separatedBy: "\r\n").first { $0.lowercased().hasPrefix(name.lowercased() + ":") }
                .map { String($0.dropFirst(name.count + 1)).trimmingCharacters(in: .whitespaces) }
        }

        /// The decoded text of the part whose type is `type` (`text/plain`, `text/html`).
        public func part(_ type: String) -> String? {
            guard let start = raw.range(of: "Content-Type: \(type)") else { return nil }
            let rest = raw[start.upperBound...]
            guard let bodyStart = rest.range(of: "\r\n\r\n") else { return nil }
            let body = rest[bodyStart.upperBound...].components(separatedBy: "\r\n--").first ?? ""
            return SMTPSink.decodeQuotedPrintable(body)
        }
    }

    /// The certificate authority that signed the server's certificate (PEM), when it uses TLS.
    public let certificateAuthority: URL
    /// The port it listens on.
    public private(set) var port: Int
    private let directory: TemporaryDirectory
    private let options: Options
    private var process: Process?

    /// Starts a server with `options`.
    public init(_ options: Options = Options()) async throws {
        self.options = options
        directory = try TemporaryDirectory()
        certificateAuthority = directory.url.appendingPathComponent("ca.crt")
        port = 0
        if options.startTLS || options.implicitTLS { try Self.makeCertificates(in: directory) }
        try await start()
    }

    /// Starts the server (again, on the same port after ``stop()``).
    public func start() async throws {
        var arguments = [Self.script.path, "--dir", directory.path("messages"), "--port", String(port)]
        if options.startTLS { arguments += ["--starttls", directory.path("server.crt"), directory.path("server.key")] }
        if options.implicitTLS { arguments += ["--tls", directory.path("server.crt"), directory.path("server.key")] }
        if let credentials = options.credentials { arguments += ["--auth", "\(credentials.user):\(credentials.password)"] }
        if options.refuseFirst > 0 { arguments += ["--refuse-first", String(options.refuseFirst)] }
        let output = Pipe()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3"] + arguments
        process.standardOutput = output
        // Not the test process's own stderr: a pipe reading the tests' output would wait for it.
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let line = await Self.firstLine(of: output.fileHandleForReading)
        guard let port = line.split(separator: " ").last.flatMap({ Int($0) }), line.hasPrefix("listening on") else {
            process.terminate()
            throw Failed(description: "the SMTP sink did not start: \(line)")
        }
        self.port = port
    }

    /// Stops the server, as a crash or an outage would, and waits (on a Dispatch thread, never
    /// the cooperative pool) until it has exited.
    public func stop() async {
        guard let process else { return }
        self.process = nil
        process.terminate()
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                process.waitUntilExit()
                continuation.resume()
            }
        }
    }

    deinit { process?.terminate() }

    /// Every message received so far, oldest first.
    public func messages() -> [Message] {
        let folder = directory.url.appendingPathComponent("messages")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).filter { $0.hasSuffix(".eml") }.sorted()
        return names.compactMap { name in
            guard let raw = try? String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8) else { return nil }
            let envelopeFile = folder.appendingPathComponent(name.replacingOccurrences(of: ".eml", with: ".json"))
            let envelope = (try? Data(contentsOf: envelopeFile)).flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
            return Message(
                raw: raw,
                sender: envelope["mail_from"] as? String ?? "",
                recipients: envelope["rcpt_tos"] as? [String] ?? [],
                encrypted: envelope["encrypted"] as? Bool ?? false,
                authenticatedAs: envelope["authenticated_as"] as? String
            )
        }
    }

    /// Waits until at least `count` messages have arrived (or `timeout` passes) and returns them.
    public func waitForMessages(_ count: Int, timeout: Duration = .seconds(15)) async throws -> [Message] {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let received = messages()
            if received.count >= count { return received }
            try await Task.sleep(for: .milliseconds(50))
        }
        return messages()
    }

    struct Failed: Error, CustomStringConvertible { let description: String }

    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Tests/Mail/smtp_sink.py")

    private static func firstLine(of handle: FileHandle) async -> String {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                var bytes: [UInt8] = []
                while true {
                    let byte = handle.readData(ofLength: 1)
                    if byte.isEmpty || byte.first == UInt8(ascii: "\n") { break }
                    bytes += byte
                }
                continuation.resume(returning: String(decoding: bytes, as: UTF8.self))
            }
        }
    }

    /// A throwaway CA and a certificate for localhost and 127.0.0.1 signed by it (openssl).
    private static func makeCertificates(in directory: TemporaryDirectory) throws {
        let steps: [[String]] = [
            [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=Portcullis test mail CA",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                "-keyout", directory.path("ca.key"), "-out", directory.path("ca.crt"),
            ],
            [
                "req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", directory.path("server.key"), "-out",
                directory.path("server.csr"),
            ],
            [
                "x509", "-req", "-in", directory.path("server.csr"), "-CA", directory.path("ca.crt"), "-CAkey", directory.path("ca.key"),
                "-CAcreateserial", "-days", "2", "-extfile", directory.path("server.ext"), "-out", directory.path("server.crt"),
            ],
        ]
        try "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n".write(
            toFile: directory.path("server.ext"),
            atomically: true,
            encoding: .utf8
        )
        for step in steps {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["openssl"] + step
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            process.waitUntilExit()
            guard process.terminationStatus == 0 else { throw Failed(description: "openssl \(step[0]) failed") }
        }
    }

    /// Quoted-printable decoding (RFC 2045 §6.7): soft breaks joined, `=XX` decoded as UTF-8.
    public static func decodeQuotedPrintable(_ text: String) -> String {
        let joined = text.replacingOccurrences(of: "=\r\n", with: "")
        var bytes: [UInt8] = []
        var utf8 = Array(joined.utf8)[...]
        while let byte = utf8.popFirst() {
            if byte == UInt8(ascii: "="), utf8.count >= 2, let value = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                utf8 = utf8.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
