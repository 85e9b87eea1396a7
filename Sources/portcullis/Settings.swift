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
    @Option(help: ArgumentHelp(ServerSetting.named("database")?.help ?? ""))
    var database: String?

    @Option(help: "A JSON config file whose keys are the flag names (e.g. \"session-idle\").")
    var config: String?

    @Option(help: ArgumentHelp(ServerSetting.named("key-file")?.help ?? ""))
    var keyFile: String?

    @Flag(help: "Print tables instead of JSON.")
    var human = false
}

/// The settings flags of `portcullis serve`, read against ``ServerSetting/all``: `--NAME VALUE` or
/// `--NAME=VALUE`, repeatable settings any number of times. Each is also read from
/// `PORTCULLIS_<NAME>` and the config file.
enum ServerFlags {
    /// The `serve` settings, for `portcullis serve --help`.
    static var help: String {
        "SETTINGS (also read from PORTCULLIS_<NAME> and the config file's \"name\" keys):\n"
            + ServerSetting.all.filter { !$0.isCommon }.map { "  --\($0.name) <value>\n        \($0.help)" }.joined(separator: "\n")
    }

    /// The settings `arguments` give, by name: a repeatable setting's values joined with commas,
    /// the last value of any other.
    /// - Throws: ``CommandFailure`` for a flag that is no setting, or a flag without its value.
    static func parse(_ arguments: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        var remaining = arguments[...]
        while let argument = remaining.popFirst() {
            guard argument.hasPrefix("--"), argument.count > 2 else { throw CommandFailure("unexpected argument '\(argument)'") }
            let flag = argument.dropFirst(2)
            let name: String
            let value: String
            if let equals = flag.firstIndex(of: "=") {
                name = String(flag[..<equals])
                value = String(flag[flag.index(after: equals)...])
            } else {
                name = String(flag)
                // A flag is never taken for a value (`--mail-from --port 1`); a value that starts
                // with two dashes is given as `--name=value`.
                guard let next = remaining.first, !next.hasPrefix("--") else { throw CommandFailure("missing value for --\(name)") }
                value = next
                remaining = remaining.dropFirst()
            }
            guard let setting = ServerSetting.named(name), !setting.isCommon else { throw CommandFailure("unknown option '--\(name)'") }
            if setting.isRepeatable, let earlier = values[name] {
                values[name] = earlier + "," + value
            } else {
                values[name] = value
            }
        }
        return values
    }
}

/// Reads settings with the contract's precedence: command line, then `PORTCULLIS_*`
/// environment variables, then the config file, then the defaults.
enum Settings {
    /// The settings whose values may hold a password (`postgres://USER:PASS@…`, `smtp://USER:PASS@…`):
    /// read as secrets, so swift-configuration never shows them in access logs or debug output.
    static let secretSettings = Set(ServerSetting.all.filter(\.isSecret).map(\.name))

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
