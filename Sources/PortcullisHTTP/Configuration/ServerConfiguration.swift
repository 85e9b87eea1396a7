public import Logging
public import PortcullisCore
public import PortcullisTokens

/// Everything the HTTP server needs to know, with the defaults the README's settings table lists.
public struct ServerConfiguration: Sendable {
    /// The address to listen on.
    public var host: String = "127.0.0.1"
    /// The port to listen on (0 picks a free one).
    public var port: Int = 8080
    /// How much the server logs.
    public var logLevel: Logger.Level = .info
    /// The store: `sqlite:PATH` (the default, `sqlite:portcullis.sqlite`) or `memory:`.
    public var database: String = "sqlite:portcullis.sqlite"
    /// The issuer URL; defaults to `http://HOST:PORT`.
    public var issuer: String?
    /// The origin browsers use; CSRF origin checks compare against it. Defaults to the issuer.
    public var publicURL: String?
    /// Session lifetimes.
    public var sessions = SessionPolicy()
    /// Whether validated sessions and checked bearer tokens are cached in memory (invalidated
    /// through the revocation log).
    public var sessionCache: Bool = true
    /// The most validated sessions the cache holds (`--session-cache-size`).
    public var sessionCacheCapacity: Int = SessionCache.defaultCapacity
    /// The credential throttle (failed sign-ins, registrations), or `nil` when switched off.
    public var loginThrottle: CredentialThrottle.Policy? = CredentialThrottle.Policy()
    /// Peers whose `X-Forwarded-For` is believed for the client address.
    public var trustedProxies: [AddressRange] = []
    /// The scrypt cost of new password hashes.
    public var passwordHashing: ScryptParameters = .owasp
    /// How many password hashes may run at once (each holds `passwordHashing.memoryBytes`).
    public var passwordHashingConcurrency: Int = 2
    /// How readily hashing threads yield the CPU to request handling (`--hash-priority`).
    public var passwordHashingPriority: BackgroundPriority = PasswordHasher.defaultPriority
    /// How many password hashes may wait for a free slot; beyond that requests get 503.
    public var passwordHashQueue: Int = 64
    /// How long a client has to send a request's headers, from connecting or from its first byte.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a keep-alive connection may stay idle between requests.
    public var idleTimeout: Duration = .seconds(60)
    /// How many connections one client address (an IPv6 /64) may hold at once; trusted proxies are exempt.
    public var maxConnectionsPerAddress: Int = 256
    /// Audiences access tokens may carry; the first is Portcullis's own API.
    public var audiences: [String] = ["api"]
    /// The algorithm of new signing keys: `EdDSA`, `ES256`, `RS256`, or `HS256` (single-service mode).
    public var signingAlgorithm: SigningAlgorithm = .eddsa
    /// Access token lifetime.
    public var accessLifetime: Duration = .seconds(300)
    /// Refresh family idle lifetime.
    public var refreshIdle: Duration = .seconds(14 * 86400)
    /// Refresh family absolute lifetime.
    public var refreshAbsolute: Duration = .seconds(90 * 86400)
    /// How long a rotated refresh token may be presented again.
    public var refreshGrace: Duration = .seconds(10)
    /// How long a rotated-in key is published before it signs.
    public var keyPublishAhead: Duration = .seconds(60)
    /// The key-encryption key file for private signing keys at rest.
    public var keyFile: String = "portcullis.key"
    /// Where mail goes; `.off` disables the features that need it.
    public var mail: MailSetting = .off
    /// The sender of every mail (`Name <address>`); by default `Portcullis <no-reply@PUBLIC-HOST>`.
    public var mailFrom: String?
    /// Refuse sign-in to accounts whose email address is not verified.
    public var requireVerifiedEmail = false
    /// How long a password-reset link works.
    public var resetLifetime: Duration = .seconds(30 * 60)
    /// How long an email-verification link works.
    public var verificationLifetime: Duration = .seconds(24 * 3600)

    /// The defaults.
    public init() {}

    /// The issuer in force.
    public var effectiveIssuer: String { issuer ?? "http://\(host):\(port)" }

    /// The token policy these settings describe.
    public var tokenPolicy: TokenPolicy {
        TokenPolicy(
            issuer: effectiveIssuer,
            audiences: audiences,
            signingAlgorithm: signingAlgorithm,
            accessLifetime: accessLifetime,
            refreshIdle: refreshIdle,
            refreshAbsolute: refreshAbsolute,
            refreshGrace: refreshGrace,
            keyPublishAhead: keyPublishAhead,
            requireVerifiedEmail: requireVerifiedEmail
        )
    }

    /// The origin (`scheme://host[:port]`) that unsafe browser requests must come from.
    public var publicOrigin: String { Origin.normalize(publicURL ?? effectiveIssuer) ?? effectiveIssuer }

    /// The public origin's host, without its port (`localhost` if it has none): the name mail
    /// comes from and authenticator apps show.
    public var publicHost: String {
        let host = publicOrigin.split(separator: "/").last.map { String($0.split(separator: ":").first ?? $0) } ?? ""
        return host.isEmpty ? "localhost" : host
    }

    /// The service's own words, which a password may not lean on: "portcullis" and the
    /// distinctive labels of the public host (`shop` for `auth.shop.example`, not `auth`, `www`
    /// or the top-level domain).
    public var serviceWords: [String] {
        let labels = publicHost.split(separator: ".").map { $0.lowercased() }
        let generic: Set<String> = ["www", "auth", "login", "sso", "accounts", "account", "identity", "localhost"]
        let distinctive = labels.dropLast(labels.count > 1 ? 1 : 0).filter { $0.count >= 4 && !generic.contains($0) && Int($0) == nil }
        return ["portcullis"] + distinctive
    }

    /// The sender in force: `--mail-from`, or `Portcullis <no-reply@PUBLIC-HOST>`.
    public var effectiveMailFrom: String {
        if let mailFrom { return mailFrom }
        return "Portcullis <no-reply@\(publicHost)>"
    }

    /// Whether browsers reach the server over HTTPS, so every answer carries `Strict-Transport-Security`.
    public var isServedOverHTTPS: Bool { publicOrigin.lowercased().hasPrefix("https://") }
}
