/// What makes a password acceptable (docs/security.md#passwords-and-sign-in, NIST SP 800-63B §3.1.1.2).
///
/// Length, any Unicode, no composition rules; and not breached, not repetitive or sequential,
/// and not built on the account's email address or the service's name.
public struct PasswordPolicy: Sendable {
    /// The fewest characters accepted.
    public var minimumCharacters: Int
    /// The most UTF-8 bytes accepted; longer inputs are refused before any hashing.
    public var maximumBytes: Int
    /// Passwords refused outright.
    public var commonPasswords: CommonPasswords
    /// Words of the service itself (its name, its host's labels) that a password may not lean on.
    public var serviceWords: [String]

    /// What may be left of a password once its context words are taken out: fewer characters
    /// than this, and the password leans on them.
    static let shortestRemainder = 8

    /// The default policy: 12 characters to 1024 bytes, the shipped common-password list, and
    /// "portcullis" as the service's word.
    public init(
        minimumCharacters: Int = 12,
        maximumBytes: Int = 1024,
        commonPasswords: CommonPasswords = .shipped,
        serviceWords: [String] = ["portcullis"]
    ) {
        self.minimumCharacters = minimumCharacters
        self.maximumBytes = maximumBytes
        self.commonPasswords = commonPasswords
        self.serviceWords = serviceWords
    }

    /// Refuses a password longer than ``maximumBytes``: a cheap check for every path that hashes.
    public func checkSize(_ password: String) throws(PortcullisError) {
        guard password.utf8.count <= maximumBytes else {
            throw PortcullisError(.inputTooLarge, "The password must be at most \(maximumBytes) bytes.")
        }
    }

    /// Refuses a password a new account or a password change may not use; `email` supplies context words.
    ///
    /// In order: too long, too short, on the common list (ignoring case), predictable (see
    /// ``PredictablePassword``), or leaning on a context word (see ``PasswordContext``): what is
    /// left once the words are taken out has fewer than 8 characters or is itself common or
    /// predictable. Each failure has its own message, which never repeats the password.
    public func validate(_ password: String, email: String? = nil) throws(PortcullisError) {
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
        let context = PasswordContext(email: email, serviceWords: serviceWords)
        if let rest = context.remainder(of: password), isWeakRemainder(rest) {
            throw PortcullisError(
                .weakPassword,
                "This password is built on your email address or the name of this service; choose one that does not lean on them."
            )
        }
    }

    /// Whether what is left of a password around its context words adds too little of its own.
    private func isWeakRemainder(_ rest: String) -> Bool {
        rest.count < Self.shortestRemainder
            || commonPasswords.contains(rest)
            || PredictablePassword.isPredictable(rest, minimumCharacters: minimumCharacters)
    }
}
