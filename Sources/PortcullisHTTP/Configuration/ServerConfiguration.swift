public import PortcullisCore

/// Everything the HTTP server needs to know, with the contract's defaults (CONTRACT.md §1).
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port to listen on (0 picks a free one).
    public var port: Int = 8080
    /// The store: `sqlite:PATH` (the default, `sqlite:portcullis.sqlite`) or `memory:`.
    public var database: String = "sqlite:portcullis.sqlite"
    /// The issuer URL; defaults to `http://HOST:PORT`.
    public var issuer: String?
    /// The origin browsers use; CSRF origin checks compare against it. Defaults to the issuer.
    public var publicURL: String?
    /// Session lifetimes.
    public var sessions = SessionPolicy()
    /// Failed-login throttling, or `nil` when switched off.
    public var loginThrottle: LoginThrottle.Policy? = LoginThrottle.Policy()
    /// Peers whose `X-Forwarded-For` is believed for the client address.
    public var trustedProxies: [AddressRange] = []
    /// The scrypt cost of new password hashes.
    public var passwordHashing: ScryptParameters = .owasp
    /// How many password hashes may run at once (each holds `passwordHashing.memoryBytes`).
    public var passwordHashingConcurrency: Int = 2

    /// The defaults.
    public init() {}

    /// The issuer in force.
    public var effectiveIssuer: String { issuer ?? "http://\(host):\(port)" }

    /// The origin (`scheme://host[:port]`) that unsafe browser requests must come from.
    public var publicOrigin: String { Origin.normalize(publicURL ?? effectiveIssuer) ?? effectiveIssuer }
}
