import Configuration
import PortcullisCore
import PortcullisHTTP
import PortcullisTokens
import Synchronization
import Testing

/// Settings read over defaults other than the server's (how the administration commands hash at
/// normal priority unless told otherwise), typed, and with their secrets kept secret.
@Suite("Configuration defaults")
struct ConfigurationDefaultsTests {
    static func reader(_ values: [String: String]) -> ConfigReader {
        ConfigReader(
            provider: InMemoryProvider(
                values: Dictionary(
                    uniqueKeysWithValues: values.map { (AbsoluteConfigKey([$0.key]), ConfigValue(.string($0.value), isSecret: false)) }
                )
            )
        )
    }

    @Test func anAbsentSettingKeepsTheGivenDefault() throws {
        var defaults = ServerConfiguration()
        defaults.passwordHashingPriority = .normal
        let configuration = try ServerConfiguration(config: Self.reader(["port": "9000"]), defaults: defaults)
        #expect(configuration.passwordHashingPriority == .normal)
        #expect(configuration.port == 9000)
        #expect(try ServerConfiguration(config: Self.reader([:])).passwordHashingPriority == PasswordHasher.defaultPriority)
    }

    @Test func aSetSettingWinsOverTheDefault() throws {
        var defaults = ServerConfiguration()
        defaults.passwordHashingPriority = .normal
        let configuration = try ServerConfiguration(config: Self.reader(["hash-priority": "idle"]), defaults: defaults)
        #expect(configuration.passwordHashingPriority == .idle)
    }

    @Test func theSigningAlgorithmIsReadAsItsTypeAndAnUnknownOneIsRefused() throws {
        #expect(try ServerConfiguration(config: Self.reader(["signing-alg": "ES256"])).signingAlgorithm == .es256)
        #expect(try ServerConfiguration(config: Self.reader([:])).signingAlgorithm == .eddsa)
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(config: Self.reader(["signing-alg": "none"])) }
        #expect(throws: ConfigurationError.self) { try ServerConfiguration(config: Self.reader(["signing-alg": "eddsa"])) }
    }

    /// Settings that may hold a password are read as secrets, so swift-configuration's access
    /// reporters (logs of which setting came from where) show them redacted.
    @Test func settingsThatHoldPasswordsAreReadAsSecrets() throws {
        let recorder = AccessRecorder()
        let provider = InMemoryProvider(values: [
            AbsoluteConfigKey(["database"]): ConfigValue(.string("postgres://app:hunter2@db/auth"), isSecret: false),
            AbsoluteConfigKey(["mail"]): ConfigValue(.string("smtp://app:hunter2@mail:587"), isSecret: false),
            AbsoluteConfigKey(["host"]): ConfigValue(.string("0.0.0.0"), isSecret: false),
        ])
        _ = try ServerConfiguration(config: ConfigReader(provider: provider, accessReporter: recorder))
        #expect(recorder.isSecret("database") == true)
        #expect(recorder.isSecret("mail") == true)
        #expect(recorder.isSecret("host") == false)
    }
}

/// Notes, per setting, whether the value read was a secret.
final class AccessRecorder: AccessReporter {
    private let secrets = Mutex<[String: Bool]>([:])

    func report(_ event: AccessEvent) {
        guard let value = try? event.result.get() else { return }
        secrets.withLock { $0[event.metadata.key.components.joined(separator: "."), default: false] = value.isSecret }
    }

    func isSecret(_ key: String) -> Bool? { secrets.withLock { $0[key] } }
}
