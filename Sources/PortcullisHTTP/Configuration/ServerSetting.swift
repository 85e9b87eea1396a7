public import Configuration
public import Logging
import PortcullisCore
import PortcullisTokens

/// One setting of the server: its name, what it does, and how its value is read into a
/// ``ServerConfiguration``. ``all`` is the one place a setting is declared: `portcullis serve`
/// parses its flags (`--NAME VALUE`) and writes its help from it, `PORTCULLIS_NAME` and the config
/// file's `"name"` key are read through it (docs/operations.md#settings).
public struct ServerSetting: Sendable {
    /// The flag name without dashes, which is also the config-file key: `session-idle`.
    public let name: String
    /// What the setting does, with its default.
    public let help: String
    /// Whether the flag may be given more than once (the values are joined with commas).
    public let isRepeatable: Bool
    /// Whether every command takes the setting (`--database`, `--key-file`), not only `serve`.
    public let isCommon: Bool
    /// Whether its value may hold a password, and so is read as a secret: never shown in
    /// swift-configuration's access reports or debug output.
    public let isSecret: Bool
    private let read: @Sendable (SettingValue, inout ServerConfiguration) throws -> Void

    init(
        _ name: String,
        _ help: String,
        repeatable: Bool = false,
        common: Bool = false,
        secret: Bool = false,
        read: @escaping @Sendable (SettingValue, inout ServerConfiguration) throws -> Void
    ) {
        self.name = name
        self.help = help
        self.isRepeatable = repeatable
        self.isCommon = common
        self.isSecret = secret
        self.read = read
    }

    /// Reads this setting from `config` into `configuration`, which keeps its value when the
    /// setting is absent.
    /// - Throws: ``ConfigurationError`` when the value cannot be read.
    public func apply(_ config: ConfigReader, to configuration: inout ServerConfiguration) throws {
        try read(SettingValue(config: config, name: name, isSecret: isSecret), &configuration)
    }

    /// The setting called `name`.
    public static func named(_ name: String) -> ServerSetting? { all.first { $0.name == name } }

    /// Every setting, in the order they are read (the throttle before its registration rate).
    public static let all: [ServerSetting] = [
        .init("host", "Address to listen on (default 127.0.0.1).") { value, c in c.host = value.string() ?? c.host },
        .init("port", "Port to listen on (default 8080; 0 picks a free one).") { value, c in c.port = try value.integer(in: 0...65535) ?? c.port },
        .init(
            "database",
            "The store: sqlite:PATH (default sqlite:portcullis.sqlite), postgres://USER:PASS@HOST:PORT/DB, or memory:.",
            common: true,
            secret: true
        ) { value, c in c.database = value.string() ?? c.database },
        .init("issuer", "Issuer URL (default http://HOST:PORT).") { value, c in c.issuer = value.string() ?? c.issuer },
        .init("public-url", "The origin browsers use (default: the issuer).") { value, c in c.publicURL = value.string() ?? c.publicURL },
        .init("session-idle", "Idle session lifetime (default 30m).") { value, c in c.sessions.idle = try value.duration() ?? c.sessions.idle },
        .init("session-absolute", "Absolute session lifetime (default 12h).") { value, c in
            c.sessions.absolute = try value.duration() ?? c.sessions.absolute
        },
        .init("remember-idle", "Idle lifetime with remember-me (default 7d).") { value, c in
            c.sessions.rememberIdle = try value.duration() ?? c.sessions.rememberIdle
        },
        .init("remember-absolute", "Absolute lifetime with remember-me (default 30d).") { value, c in
            c.sessions.rememberAbsolute = try value.duration() ?? c.sessions.rememberAbsolute
        },
        .init("login-throttle", "on or off: every credential throttle, sign-ins and registrations (default on).") { value, c in
            switch try value.onOff() {
            case nil: break
            case true?: c.loginThrottle = c.loginThrottle ?? CredentialThrottle.Policy()
            case false?: c.loginThrottle = nil
            }
        },
        .init("registration-throttle", "Registrations allowed per client address, e.g. 20/h (default), 5/m or 100/1d.") { value, c in
            if let rate = try value.parsed(expected: "a rate such as 20/h, 5/m or 100/1d", AttemptRate.init(setting:)) {
                c.loginThrottle?.registrations = rate
            }
        },
        .init("hash-queue", "How many password hashes may wait for a free slot before requests get 503 (default 64).") { value, c in
            c.passwordHashQueue = try value.integer(in: 0...100_000) ?? c.passwordHashQueue
        },
        .init("hash-priority", "How readily password hashing yields the CPU to requests: idle (default), low or normal.") { value, c in
            c.passwordHashingPriority =
                try value.parsed(expected: "idle, low or normal") { BackgroundPriority(rawValue: $0.lowercased()) } ?? c.passwordHashingPriority
        },
        .init("header-timeout", "How long a client has to send a request's headers (default 10s).") { value, c in
            c.headerTimeout = try value.duration() ?? c.headerTimeout
        },
        .init("idle-timeout", "How long an idle keep-alive connection stays open (default 60s).") { value, c in
            c.idleTimeout = try value.duration() ?? c.idleTimeout
        },
        .init(
            "max-connections-per-address",
            "Connections one client address (an IPv6 /64) may hold at once (default 256; trusted proxies exempt)."
        ) { value, c in c.maxConnectionsPerAddress = try value.integer(in: 1...1_000_000) ?? c.maxConnectionsPerAddress },
        .init(
            "session-cache",
            "on or off: cache validated sessions and bearer tokens in memory, invalidated through the revocation log (default on)."
        ) { value, c in c.sessionCache = try value.onOff() ?? c.sessionCache },
        .init("session-cache-size", "The most validated sessions the cache holds, about 1 KB each (default 100000).") { value, c in
            c.sessionCacheCapacity = try value.integer(in: 1...100_000_000) ?? c.sessionCacheCapacity
        },
        .init("trusted-proxies", "CIDRs whose X-Forwarded-For is believed (repeatable, or comma-separated).", repeatable: true) { value, c in
            let items = value.list()
            guard !items.isEmpty else { return }
            c.trustedProxies = try items.map { text in
                guard let range = AddressRange(text) else { throw value.invalid(text, expected: "a CIDR such as 10.0.0.0/8") }
                return range
            }
        },
        .init("audience", "An audience access tokens may carry (repeatable; default api, the first is Portcullis's own).", repeatable: true) {
            value,
            c in
            let audiences = value.list()
            if !audiences.isEmpty { c.audiences = audiences }
        },
        .init("signing-alg", "EdDSA (default), ES256, RS256, or HS256 (single-service mode).") { value, c in
            c.signingAlgorithm = try value.parsed(expected: "EdDSA, ES256, RS256 or HS256", SigningAlgorithm.init(rawValue:)) ?? c.signingAlgorithm
        },
        .init("access-ttl", "Access token lifetime (default 5m).") { value, c in c.accessLifetime = try value.duration() ?? c.accessLifetime },
        .init("refresh-idle", "Refresh family idle lifetime (default 14d).") { value, c in c.refreshIdle = try value.duration() ?? c.refreshIdle },
        .init("refresh-absolute", "Refresh family absolute lifetime (default 90d).") { value, c in
            c.refreshAbsolute = try value.duration() ?? c.refreshAbsolute
        },
        .init("refresh-grace", "Grace window for a rotated refresh token (default 10s).") { value, c in
            c.refreshGrace = try value.duration() ?? c.refreshGrace
        },
        .init("key-publish-ahead", "How long a rotated-in key is published before it signs (default 1m).") { value, c in
            c.keyPublishAhead = try value.duration() ?? c.keyPublishAhead
        },
        .init(
            "key-file",
            "The key-encryption key file for private signing keys (default portcullis.key; created 0600 if absent).",
            common: true
        ) { value, c in c.keyFile = value.string() ?? c.keyFile },
        .init(
            "mail",
            "Where mail goes: off (default), file:DIR, smtp://USER:PASS@HOST:PORT[?starttls=required] or smtps://….",
            secret: true
        ) { value, c in
            guard let text = value.string() else { return }
            guard let setting = MailSetting(setting: text) else {
                throw value.invalid(
                    text.contains("@") ? "(a URL with credentials)" : text,
                    expected: "off, file:DIR, smtp://USER:PASS@HOST:PORT[?starttls=required] or smtps://…"
                )
            }
            c.mail = setting
        },
        .init("mail-from", "The sender of every mail, e.g. \"Example <no-reply@example.com>\" (default: Portcullis <no-reply@PUBLIC-HOST>).") {
            value,
            c in c.mailFrom = value.string() ?? c.mailFrom
        },
        .init("require-verified-email", "on or off: refuse sign-in until the email address is verified (default off).") { value, c in
            c.requireVerifiedEmail = try value.onOff() ?? c.requireVerifiedEmail
        },
        .init("reset-ttl", "How long a password-reset link works (default 30m).") { value, c in
            c.resetLifetime = try value.duration() ?? c.resetLifetime
        },
        .init("verification-ttl", "How long an email-verification link works (default 24h).") { value, c in
            c.verificationLifetime = try value.duration() ?? c.verificationLifetime
        },
        .init("scrypt-log-n", "log2 of scrypt's N for new password hashes (default 17, OWASP).") { value, c in
            if let cost = try value.integer(in: 10...22) { c.passwordHashing.logN = cost }
        },
        .init("log-level", "trace, debug, info, notice, warning, error or critical (default info).") { value, c in
            c.logLevel =
                try value.parsed(expected: "trace, debug, info, notice, warning, error or critical", Logger.Level.init(rawValue:)) ?? c.logLevel
        },
    ]
}

/// One setting's value as the configuration has it, read as a string, number, duration, switch or list.
struct SettingValue {
    let config: ConfigReader
    let name: String
    let isSecret: Bool

    private var key: ConfigKey { ConfigKey(name) }

    /// The value as text, if set.
    func string() -> String? { config.string(forKey: key, isSecret: isSecret) }

    /// A whole number given as a number (config file) or as text (command line, environment), within `range`.
    func integer(in range: ClosedRange<Int>) throws -> Int? {
        let number: Int
        if let value = config.int(forKey: key, isSecret: isSecret) {
            number = value
        } else if let text = string() {
            guard let value = Int(text) else { throw invalid(text, expected: "a whole number") }
            number = value
        } else {
            return nil
        }
        guard range.contains(number) else { throw invalid("\(number)", expected: "\(range.lowerBound) to \(range.upperBound)") }
        return number
    }

    /// A duration such as `30s`, `15m`, `12h` or `7d`.
    func duration() throws -> Duration? {
        try parsed(expected: "a duration such as 30s, 15m, 12h or 7d", Duration.init(setting:))
    }

    /// The value read by `parse`, which answers `nil` for text it refuses.
    func parsed<Value>(expected: String, _ parse: (String) -> Value?) throws -> Value? {
        guard let text = string() else { return nil }
        guard let value = parse(text) else { throw invalid(text, expected: expected) }
        return value
    }

    /// `on`/`off` (or `true`/`false`, `1`/`0`).
    func onOff() throws -> Bool? {
        switch string()?.lowercased() {
        case nil: nil
        case "on", "true", "1": true
        case "off", "false", "0": false
        case let other?: throw invalid(other, expected: "on or off")
        }
    }

    /// A list given as an array (config file) or as comma-separated text.
    func list() -> [String] {
        let items = config.stringArray(forKey: key, isSecret: isSecret) ?? string().map { [$0] } ?? []
        return items.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces } }.filter { !$0.isEmpty }
    }

    /// The error for a value that cannot be read.
    func invalid(_ value: String, expected: String) -> ConfigurationError {
        ConfigurationError(setting: name, value: value, expected: expected)
    }
}
