public import Configuration

extension ServerConfiguration {
    /// Reads every setting of ``ServerSetting/all`` from `config`, whose keys are the flag names
    /// without dashes (`session-idle`); whatever is absent keeps its value in `defaults`.
    /// - Throws: ``ConfigurationError`` naming the first unreadable setting.
    public init(config: ConfigReader, defaults: ServerConfiguration = ServerConfiguration()) throws {
        self = defaults
        for setting in ServerSetting.all { try setting.apply(config, to: &self) }
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
