public import Configuration
public import PortcullisCore
import PortcullisTokens

extension ServerConfiguration {
    /// Reads every setting from `config`, whose keys are the flag names without dashes
    /// (`session-idle`); whatever is absent keeps its value in `defaults`.
    /// - Throws: ``ConfigurationError`` naming the first unreadable setting.
    public init(config: ConfigReader, defaults: ServerConfiguration = ServerConfiguration()) throws {
        self = defaults
        host = config.string(forKey: "host", default: host)
        port = try Self.integer(config, "port", in: 0...65535) ?? port
        database = config.string(forKey: "database", isSecret: true, default: database)
        issuer = config.string(forKey: "issuer")
        publicURL = config.string(forKey: "public-url")
        sessions.idle = try Self.duration(config, "session-idle", default: sessions.idle)
        sessions.absolute = try Self.duration(config, "session-absolute", default: sessions.absolute)
        sessions.rememberIdle = try Self.duration(config, "remember-idle", default: sessions.rememberIdle)
        sessions.rememberAbsolute = try Self.duration(config, "remember-absolute", default: sessions.rememberAbsolute)
        switch config.string(forKey: "login-throttle", default: "on").lowercased() {
        case "on", "true", "1": loginThrottle = CredentialThrottle.Policy()
        case "off", "false", "0": loginThrottle = nil
        case let other: throw ConfigurationError(setting: "login-throttle", value: other, expected: "on or off")
        }
        if let text = config.string(forKey: "registration-throttle") {
            guard let rate = AttemptRate(setting: text) else {
                throw ConfigurationError(setting: "registration-throttle", value: text, expected: "a rate such as 20/h, 5/m or 100/1d")
            }
            loginThrottle?.registrations = rate
        }
        passwordHashQueue = try Self.integer(config, "hash-queue", in: 0...100_000) ?? passwordHashQueue
        if let text = config.string(forKey: "hash-priority") {
            guard let priority = BackgroundPriority(rawValue: text.lowercased()) else {
                throw ConfigurationError(setting: "hash-priority", value: text, expected: "idle, low or normal")
            }
            passwordHashingPriority = priority
        }
        headerTimeout = try Self.duration(config, "header-timeout", default: headerTimeout)
        idleTimeout = try Self.duration(config, "idle-timeout", default: idleTimeout)
        maxConnectionsPerAddress = try Self.integer(config, "max-connections-per-address", in: 1...1_000_000) ?? maxConnectionsPerAddress
        switch config.string(forKey: "session-cache", default: "on").lowercased() {
        case "on", "true", "1": sessionCache = true
        case "off", "false", "0": sessionCache = false
        case let other: throw ConfigurationError(setting: "session-cache", value: other, expected: "on or off")
        }
        sessionCacheCapacity = try Self.integer(config, "session-cache-size", in: 1...100_000_000) ?? sessionCacheCapacity
        trustedProxies = try Self.list(config, "trusted-proxies").map { text in
            guard let range = AddressRange(text) else {
                throw ConfigurationError(setting: "trusted-proxies", value: text, expected: "a CIDR such as 10.0.0.0/8")
            }
            return range
        }
        let audiences = try Self.list(config, "audience")
        if !audiences.isEmpty { self.audiences = audiences }
        if let text = config.string(forKey: "signing-alg") {
            guard let algorithm = SigningAlgorithm(rawValue: text) else {
                throw ConfigurationError(setting: "signing-alg", value: text, expected: "EdDSA, ES256, RS256 or HS256")
            }
            signingAlgorithm = algorithm
        }
        accessLifetime = try Self.duration(config, "access-ttl", default: accessLifetime)
        refreshIdle = try Self.duration(config, "refresh-idle", default: refreshIdle)
        refreshAbsolute = try Self.duration(config, "refresh-absolute", default: refreshAbsolute)
        refreshGrace = try Self.duration(config, "refresh-grace", default: refreshGrace)
        keyPublishAhead = try Self.duration(config, "key-publish-ahead", default: keyPublishAhead)
        keyFile = config.string(forKey: "key-file", default: keyFile)
        if let text = config.string(forKey: "mail", isSecret: true) {
            guard let setting = MailSetting(setting: text) else {
                throw ConfigurationError(
                    setting: "mail",
                    value: text.contains("@") ? "(a URL with credentials)" : text,
                    expected: "off, file:DIR, smtp://USER:PASS@HOST:PORT[?starttls=required] or smtps://…"
                )
            }
            mail = setting
        }
        mailFrom = config.string(forKey: "mail-from")
        requireVerifiedEmail = try Self.onOff(config, "require-verified-email", default: requireVerifiedEmail)
        resetLifetime = try Self.duration(config, "reset-ttl", default: resetLifetime)
        verificationLifetime = try Self.duration(config, "verification-ttl", default: verificationLifetime)
        if let cost = try Self.integer(config, "scrypt-log-n") {
            guard (10...22).contains(cost) else {
                throw ConfigurationError(setting: "scrypt-log-n", value: "\(cost)", expected: "10 to 22")
            }
            passwordHashing.logN = cost
        }
    }

    private static func onOff(_ config: ConfigReader, _ key: String, default value: Bool) throws -> Bool {
        switch config.string(forKey: ConfigKey(key))?.lowercased() {
        case nil: value
        case "on", "true", "1": true
        case "off", "false", "0": false
        case let other?: throw ConfigurationError(setting: key, value: other, expected: "on or off")
        }
    }

    private static func duration(_ config: ConfigReader, _ key: String, default value: Duration) throws -> Duration {
        guard let text = config.string(forKey: ConfigKey(key)) else { return value }
        guard let parsed = Duration(setting: text) else {
            throw ConfigurationError(setting: key, value: text, expected: "a duration such as 30s, 15m, 12h or 7d")
        }
        return parsed
    }

    /// A whole number given as a number (config file) or as text (command line, environment),
    /// within `range` when one is given.
    private static func integer(_ config: ConfigReader, _ key: String, in range: ClosedRange<Int>? = nil) throws -> Int? {
        let number: Int
        if let value = config.int(forKey: ConfigKey(key)) {
            number = value
        } else if let text = config.string(forKey: ConfigKey(key)) {
            guard let value = Int(text) else { throw ConfigurationError(setting: key, value: text, expected: "a whole number") }
            number = value
        } else {
            return nil
        }
        if let range, !range.contains(number) {
            throw ConfigurationError(setting: key, value: "\(number)", expected: "\(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    /// A list given as an array (config file) or as comma-separated text.
    private static func list(_ config: ConfigReader, _ key: String) throws -> [String] {
        let items = config.stringArray(forKey: ConfigKey(key)) ?? config.string(forKey: ConfigKey(key)).map { [$0] } ?? []
        return items.flatMap { $0.split(separator: ",").map { $0.trimmingSpaces } }.filter { !$0.isEmpty }
    }
}

/// A setting that could not be read.
public struct ConfigurationError: Error, CustomStringConvertible, Sendable {
    /// The setting's flag name.
    public let setting: String
    /// The value found.
    public let value: String
    /// What would have been accepted.
    public let expected: String

    /// Creates the error.
    public init(setting: String, value: String, expected: String) {
        self.setting = setting
        self.value = value
        self.expected = expected
    }

    public var description: String { "invalid value '\(value)' for --\(setting): expected \(expected)" }
}

extension Duration {
    /// Parses a duration setting: a whole number followed by `s`, `m`, `h` or `d`.
    public init?(setting text: String) {
        guard let unit = text.last, let amount = Int64(text.dropLast()), amount >= 0 else { return nil }
        switch unit {
        case "s": self = .seconds(amount)
        case "m": self = .seconds(amount * 60)
        case "h": self = .seconds(amount * 3600)
        case "d": self = .seconds(amount * 86400)
        default: return nil
        }
    }
}
