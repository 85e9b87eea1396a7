import Configuration
import PortcullisCore
import PortcullisHTTP
import Testing

/// Settings read over defaults other than the server's: how the administration commands hash at
/// normal priority unless told otherwise.
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
}
