/// How a sign-in was proven, as the `amr` values of RFC 8176 name it.
///
/// Sessions and refresh families record the methods of the sign-in that started them; access
/// tokens carry them as `amr`, beside `auth_time`, so a service can ask for a second factor or a
/// recent sign-in before something sensitive.
public enum AuthenticationMethod: String, Sendable, Hashable, CaseIterable, Codable {
    /// A password.
    case password = "pwd"
    /// A one-time password: a code from an authenticator app, or a recovery code.
    case oneTimePassword = "otp"
    /// A proof of possession of a hardware-secured key (a passkey).
    case hardwareKey = "hwk"
    /// The user was present and verified themselves to the authenticator (a passkey's PIN or biometric).
    case userPresence = "user"
    /// More than one factor.
    case multipleFactors = "mfa"

    /// The methods stored as one column: their `amr` values separated by spaces.
    public static func column(_ methods: [AuthenticationMethod]) -> String {
        methods.map(\.rawValue).joined(separator: " ")
    }

    /// The methods a ``column(_:)`` holds; unknown values are skipped and an empty column means a
    /// password (rows written before methods were recorded).
    public static func parse(column: String) -> [AuthenticationMethod] {
        let methods = column.split(separator: " ").compactMap { AuthenticationMethod(rawValue: String($0)) }
        return methods.isEmpty ? [.password] : methods
    }

    /// A password and then a code: `pwd otp mfa`.
    public static let passwordAndCode: [AuthenticationMethod] = [.password, .oneTimePassword, .multipleFactors]

    /// A passkey with user verification: `hwk user mfa` (two factors in one).
    public static let passkey: [AuthenticationMethod] = [.hardwareKey, .userPresence, .multipleFactors]
}

extension Array where Element == AuthenticationMethod {
    /// Whether the sign-in proved two factors.
    public var includesSecondFactor: Bool { contains(.multipleFactors) }
}
