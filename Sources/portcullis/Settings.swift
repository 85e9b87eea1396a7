import ArgumentParser
import Configuration
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisPostgres
import PortcullisSQLite
import SystemPackage

/// The options every command shares: where the store is and where the config file is.
struct StoreOptions: ParsableArguments {
    @Option(help: "The store: sqlite:PATH (default sqlite:portcullis.sqlite), postgres://USER:PASS@HOST:PORT/DB, or memory:.")
    var database: String?

    @Option(help: "A JSON config file whose keys are the flag names (e.g. \"session-idle\").")
    var config: String?

    @Option(help: "The key-encryption key file for private signing keys (default portcullis.key; created 0600 if absent).")
    var keyFile: String?

    @Flag(help: "Print tables instead of JSON.")
    var human = false
}

/// The settings of `portcullis serve`, each also read from `PORTCULLIS_<FLAG>` and the config file.
struct ServerOptions: ParsableArguments {
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080).") var port: Int?
    @Option(help: "Issuer URL (default http://HOST:PORT).") var issuer: String?
    @Option(help: "The origin browsers use (default: the issuer).") var publicUrl: String?
    @Option(help: "Idle session lifetime (default 30m).") var sessionIdle: String?
    @Option(help: "Absolute session lifetime (default 12h).") var sessionAbsolute: String?
    @Option(help: "Idle lifetime with remember-me (default 7d).") var rememberIdle: String?
    @Option(help: "Absolute lifetime with remember-me (default 30d).") var rememberAbsolute: String?
    @Option(help: "on or off: every credential throttle, sign-ins and registrations (default on).") var loginThrottle: String?
    @Option(help: "Registrations allowed per client address, e.g. 20/h (default), 5/m or 100/1d.") var registrationThrottle: String?
    @Option(help: "How many password hashes may wait for a free slot before requests get 503 (default 64).") var hashQueue: Int?
    @Option(help: "How readily password hashing yields the CPU to requests: idle (default), low or normal.") var hashPriority: String?
    @Option(help: "How long a client has to send a request's headers (default 10s).") var headerTimeout: String?
    @Option(help: "How long an idle keep-alive connection stays open (default 60s).") var idleTimeout: String?
    @Option(help: "Connections one client address (an IPv6 /64) may hold at once (default 256; trusted proxies exempt).")
    var maxConnectionsPerAddress: Int?
    @Option(help: "CIDRs whose X-Forwarded-For is believed (repeatable, or comma-separated).") var trustedProxies: [String] = []
    @Option(help: "on or off: cache validated sessions and bearer tokens in memory, invalidated through the revocation log (default on).")
    var sessionCache: String?
    @Option(help: "The most validated sessions the cache holds, about 1 KB each (default 100000).") var sessionCacheSize: Int?
    @Option(help: "log2 of scrypt's N for new password hashes (default 17, OWASP).") var scryptLogN: Int?
    @Option(help: "trace, debug, info, notice, warning, error or critical (default info).") var logLevel: String?
    @Option(help: "An audience access tokens may carry (repeatable; default api, the first is Portcullis's own).") var audience: [String] = []
    @Option(help: "EdDSA (default), ES256, RS256, or HS256 (single-service mode).") var signingAlg: String?
    @Option(help: "Access token lifetime (default 5m).") var accessTtl: String?
    @Option(help: "Refresh family idle lifetime (default 14d).") var refreshIdle: String?
    @Option(help: "Refresh family absolute lifetime (default 90d).") var refreshAbsolute: String?
    @Option(help: "Grace window for a rotated refresh token (default 10s).") var refreshGrace: String?
    @Option(help: "How long a rotated-in key is published before it signs (default 1m).") var keyPublishAhead: String?
    @Option(help: "Where mail goes: off (default), file:DIR, smtp://USER:PASS@HOST:PORT[?starttls=required] or smtps://….") var mail: String?
    @Option(help: "The sender of every mail, e.g. \"Example <no-reply@example.com>\" (default: Portcullis <no-reply@PUBLIC-HOST>).") var mailFrom:
        String?
    @Option(help: "on or off: refuse sign-in until the email address is verified (default off).") var requireVerifiedEmail: String?
    @Option(help: "How long a password-reset link works (default 30m).") var resetTtl: String?
    @Option(help: "How long an email-verification link works (default 24h).") var verificationTtl: String?

    /// The flags given on the command line, as configuration values.
    var values: [String: String] {
        var values: [String: String] = [:]
        values["host"] = host
        values["port"] = port.map(String.init)
        values["issuer"] = issuer
        values["public-url"] = publicUrl
        values["session-idle"] = sessionIdle
        values["session-absolute"] = sessionAbsolute
        values["remember-idle"] = rememberIdle
        values["remember-absolute"] = rememberAbsolute
        values["login-throttle"] = loginThrottle
        values["registration-throttle"] = registrationThrottle
        values["hash-queue"] = hashQueue.map(String.init)
        values["hash-priority"] = hashPriority
        values["header-timeout"] = headerTimeout
        values["idle-timeout"] = idleTimeout
        values["max-connections-per-address"] = maxConnectionsPerAddress.map(String.init)
        values["session-cache"] = sessionCache
        values["session-cache-size"] = sessionCacheSize.map(String.init)
        values["trusted-proxies"] = trustedProxies.isEmpty ? nil : trustedProxies.joined(separator: ",")
        values["scrypt-log-n"] = scryptLogN.map(String.init)
        values["log-level"] = logLevel
        values["audience"] = audience.isEmpty ? nil : audience.joined(separator: ",")
        values["signing-alg"] = signingAlg
        values["access-ttl"] = accessTtl
        values["refresh-idle"] = refreshIdle
        values["refresh-absolute"] = refreshAbsolute
        values["refresh-grace"] = refreshGrace
        values["key-publish-ahead"] = keyPublishAhead
        values["mail"] = mail
        values["mail-from"] = mailFrom
        values["require-verified-email"] = requireVerifiedEmail
        values["reset-ttl"] = resetTtl
        values["verification-ttl"] = verificationTtl
        return values
    }
}

/// Reads settings with the contract's precedence: command line, then `PORTCULLIS_*`
/// environment variables, then the config file, then the defaults.
enum Settings {
    /// The settings whose values may hold a password (`postgres://USER:PASS@…`, `smtp://USER:PASS@…`):
    /// read as secrets, so swift-configuration never shows them in access logs or debug output.
    static let secretSettings: Set<String> = ["database", "mail"]

    static func reader(commandLine: [String: String], configFile: String?) async throws -> ConfigReader {
        let environment = EnvironmentVariablesProvider(
            secretsSpecifier: .specific(Set(secretSettings.map { "PORTCULLIS_" + $0.uppercased() }))
        ).prefixKeys(with: "portcullis")
        var providers: [any ConfigProvider] = [
            InMemoryProvider(
                name: "command line",
                values: Dictionary(
                    uniqueKeysWithValues: commandLine.map {
                        (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: secretSettings.contains($0.key)))
                    }
                )
            ),
            environment,
        ]
        if let path = configFile ?? ConfigReader(provider: environment).string(forKey: "config") {
            providers.append(try await FileProvider<JSONSnapshot>(filePath: FilePath(path)))
        }
        return ConfigReader(providers: providers)
    }

    /// The server configuration from the store options and the server flags given (none for admin commands).
    static func server(
        _ store: StoreOptions,
        flags: [String: String] = [:],
        defaults: ServerConfiguration = ServerConfiguration()
    ) async throws -> ServerConfiguration {
        var commandLine = flags
        commandLine["database"] = store.database
        commandLine["key-file"] = store.keyFile
        return try ServerConfiguration(config: try await reader(commandLine: commandLine, configFile: store.config), defaults: defaults)
    }

    static func logLevel(_ store: StoreOptions, flags: [String: String]) async throws -> Logger.Level {
        let text = try await reader(commandLine: flags, configFile: store.config).string(forKey: "log-level", default: "info")
        guard let level = Logger.Level(rawValue: text) else {
            throw ConfigurationError(setting: "log-level", value: text, expected: "trace, debug, info, notice, warning, error or critical")
        }
        return level
    }
}

/// Opens the store a `--database` URL names.
enum StoreLocator {
    static func open(_ database: String, logger: Logger) async throws -> any PortcullisStore {
        if database == "memory:" { return MemoryStore() }
        if database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") {
            do {
                let store = try PostgresStore(url: database, logger: logger)
                // Say now what is wrong (a certificate, TLS, credentials) rather than time out later.
                try await store.checkConnection()
                store.start()
                return store
            } catch let error as StoreError {
                throw CommandFailure(error.backendMessage ?? error.description)
            }
        }
        if database.hasPrefix("sqlite:") {
            var path = String(database.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path.removeFirst(2) }
            guard !path.isEmpty else { throw CommandFailure("--database sqlite: needs a file path, as in sqlite:portcullis.sqlite") }
            return try await SQLiteStore.open(path: path, logger: logger)
        }
        throw CommandFailure(
            "unsupported --database '\(database.prefix { $0 != ":" })': use sqlite:PATH, postgres://USER:PASS@HOST:PORT/DB or memory:"
        )
    }
}
