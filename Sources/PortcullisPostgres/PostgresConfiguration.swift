public import Foundation
public import NIOSSL
public import PortcullisCore
public import PostgresNIO

/// How ``PostgresStore`` connects: where, as whom, how the connection is protected, how many
/// connections its pool may open and how long it waits. Usually read from a
/// `postgres://USER:PASS@HOST:PORT/DB?sslmode=…&sslrootcert=…&pool_max_conns=…&connect_timeout=…`
/// URL, with libpq's meaning of `sslmode` and `connect_timeout` (seconds), and `pool_max_conns`
/// as in pgx (the pool's size, default 10: each instance of the server holds at most that many).
///
/// | `sslmode` | TLS | the server's certificate |
/// |---|---|---|
/// | `disable` | never | – |
/// | `prefer` | if the server offers it | not checked |
/// | `require` | always | not checked, unless `sslrootcert` is given (then as `verify-ca`) |
/// | `verify-ca` | always | signed by the CA in `sslrootcert` |
/// | `verify-full` | always | as `verify-ca`, and issued for the host connected to |
///
/// As with libpq, the two `verify-` modes need `sslrootcert`: a file, or `system` for the
/// system's trusted roots, which always checks the host name too (any public certificate would
/// pass a check of the signature alone).
///
/// Without `sslmode`, a loopback host gets `prefer` and every other host `require`: credentials
/// and session data never cross a network in clear unless the URL says so.
public struct PostgresConfiguration: Sendable, CustomStringConvertible {
    /// The `sslmode` values understood.
    public enum TLSMode: String, Sendable, CaseIterable {
        case disable, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    /// The server's host name or address.
    public let host: String
    /// The server's port.
    public let port: Int
    /// The role to connect as.
    public let username: String
    /// Its password, if any.
    let password: String?
    /// The database, if named (the role's own otherwise).
    public var database: String?
    /// How the connection is protected.
    public let tlsMode: TLSMode
    /// The CA certificate file (PEM) the server's certificate must chain to, if given.
    public let rootCertificate: String?
    /// The most connections the pool opens (`pool_max_conns`, default 10).
    public var poolSize: Int = 10
    /// How long opening a connection may take (`connect_timeout`, default 2 s).
    public var connectTimeout: Duration = .seconds(2)
    /// The longest any store operation may take before it is reported unavailable (default 3 s).
    public var operationTimeout: Duration = .seconds(3)

    /// Parses a URL.
    /// - Throws: ``StoreError`` `unavailable`, whose backend message says what is wrong.
    public init(_ url: String) throws {
        guard let components = URLComponents(string: url), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty, let user = components.user
        else { throw StoreError(.unavailable, backendMessage: "a PostgreSQL URL is postgres://USER:PASS@HOST:PORT/DB") }
        self.host = host
        self.port = components.port ?? 5432
        self.username = user.removingPercentEncoding ?? user
        self.password = components.password.map { $0.removingPercentEncoding ?? $0 }
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        self.database = path.isEmpty ? nil : path
        let query = components.queryItems ?? []
        if let mode = query.last(where: { $0.name == "sslmode" })?.value {
            guard let parsed = TLSMode(rawValue: mode) else {
                throw StoreError(
                    .unavailable,
                    backendMessage: "sslmode=\(mode) is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            self.tlsMode = parsed
        } else {
            self.tlsMode = Self.isLoopback(host) ? .prefer : .require
        }
        self.rootCertificate = query.last(where: { $0.name == "sslrootcert" })?.value.flatMap { $0.isEmpty ? nil : $0 }
        if let text = query.last(where: { $0.name == "pool_max_conns" })?.value {
            guard let size = Int(text), (1...1000).contains(size) else {
                throw StoreError(.unavailable, backendMessage: "pool_max_conns=\(text) is not a number from 1 to 1000")
            }
            poolSize = size
        }
        if let text = query.last(where: { $0.name == "connect_timeout" })?.value {
            guard let seconds = Int(text), (1...600).contains(seconds) else {
                throw StoreError(.unavailable, backendMessage: "connect_timeout=\(text) is not a number of seconds from 1 to 600")
            }
            connectTimeout = .seconds(seconds)
        }
        if [.verifyCA, .verifyFull].contains(tlsMode), rootCertificate == nil {
            throw StoreError(
                .unavailable,
                backendMessage: "sslmode=\(tlsMode.rawValue) needs sslrootcert: the CA certificate file, or system for the system's roots"
            )
        }
    }

    /// The same as ``summary``: never the password.
    public var description: String { summary }

    /// `host:port (sslmode=…)`, for messages: never the password.
    public var summary: String {
        "\(host):\(port) (sslmode=\(tlsMode.rawValue)\(rootCertificate.map { ", sslrootcert=\($0)" } ?? ""))"
    }

    /// The TLS settings for the connection pool.
    func clientTLS() throws -> PostgresClient.Configuration.TLS {
        guard let configuration = try tlsConfiguration() else { return .disable }
        return tlsMode == .prefer ? .prefer(configuration) : .require(configuration)
    }

    /// The TLS settings for a single connection.
    func connectionTLS() throws -> PostgresConnection.Configuration.TLS {
        guard let configuration = try tlsConfiguration() else { return .disable }
        let context = try NIOSSLContext(configuration: configuration)
        return tlsMode == .prefer ? .prefer(context) : .require(context)
    }

    private func tlsConfiguration() throws -> TLSConfiguration? {
        var configuration = TLSConfiguration.makeClientConfiguration()
        switch tlsMode {
        case .disable:
            return nil
        case .prefer:
            configuration.certificateVerification = .none
        case .require:
            configuration.certificateVerification = rootCertificate == nil ? .none : .noHostnameVerification
        case .verifyCA:
            configuration.certificateVerification = .noHostnameVerification
        case .verifyFull:
            configuration.certificateVerification = .fullVerification
        }
        if rootCertificate == Self.systemRoots {
            configuration.certificateVerification = .fullVerification
            configuration.trustRoots = .default
        } else if let rootCertificate {
            guard FileManager.default.isReadableFile(atPath: rootCertificate) else {
                throw StoreError(.unavailable, backendMessage: "sslrootcert \(rootCertificate) cannot be read")
            }
            configuration.trustRoots = .file(rootCertificate)
        }
        return configuration
    }

    /// The `sslrootcert` value that means the system's trusted roots.
    static let systemRoots = "system"

    private static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" { return true }
        guard let address = IPAddress(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) else { return false }
        return address.isIPv6 ? address.bytes == Array(repeating: 0, count: 15) + [1] : address.bytes[0] == 127
    }
}
