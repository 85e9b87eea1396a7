/// What makes a password acceptable (SECURITY.md §15, NIST SP 800-63B §3.1.1.2).
///
/// Length, any Unicode, no composition rules; and neither breached nor repetitive or sequential.
public struct PasswordPolicy: Sendable {
    /// The fewest characters accepted.
    public var minimumCharacters: Int
    /// The most UTF-8 bytes accepted; longer inputs are refused before any hashing.
    public var maximumBytes: Int
    /// Passwords refused outright.
    public var commonPasswords: CommonPasswords

    /// The default policy: 12 characters to 1024 bytes, the shipped common-password list.
    public init(minimumCharacters: Int = 12, maximumBytes: Int = 1024, commonPasswords: CommonPasswords = .shipped) {
        self.minimumCharacters = minimumCharacters
        self.maximumBytes = maximumBytes
        self.commonPasswords = commonPasswords
    }

    /// Refuses a password longer than ``maximumBytes``: a cheap check for every path that hashes.
    public func checkSize(_ password: String) throws(PortcullisError) {
        guard password.utf8.count <= maximumBytes else {
            throw PortcullisError(.inputTooLarge, "The password must be at most \(maximumBytes) bytes.")
        }
    }

    /// Refuses a password a new account or a password change may not use.
    public func validate(_ password: String) throws(PortcullisError) {
        try checkSize(password)
        guard password.count >= minimumCharacters else {
            throw PortcullisError(.weakPassword, "Choose a password of at least \(minimumCharacters) characters.")
        }
        guard !commonPasswords.contains(password) else {
            throw PortcullisError(.weakPassword, "This password is on lists of passwords leaked in data breaches; choose another.")
        }
        guard !PredictablePassword.isPredictable(password, minimumCharacters: minimumCharacters) else {
            throw PortcullisError(
                .weakPassword,
                "This password is mostly repeated or sequential characters (like aaaa, 1234 or qwerty); choose one that is harder to guess."
            )
        }
    }
}
