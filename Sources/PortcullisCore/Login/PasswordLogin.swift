public import Logging

/// Checks an email and password, with the same answer and the same cost for an unknown
/// account, a wrong password and a disabled account (SECURITY.md §14), behind the throttle.
public struct PasswordLogin: Sendable {
    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: LoginThrottle?
    private let logger: Logger

    /// Creates the login check. Pass `throttle: nil` to disable throttling (`--login-throttle off`).
    public init(store: any PortcullisStore, hasher: PasswordHasher, policy: PasswordPolicy = PasswordPolicy(), throttle: LoginThrottle?, logger: Logger = Logger(label: "portcullis.login", factory: { _ in SwiftLogNoOpLogHandler() })) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.logger = logger
    }

    /// The account the credentials prove, or a ``PortcullisError``: `inputTooLarge` (checked
    /// before any hashing), `throttled`, or `invalidCredentials`.
    public func authenticate(email rawEmail: String, password: String, clientAddress: String?) async throws -> Account {
        try policy.checkSize(password)
        let email: String?
        do {
            email = try EmailAddress.normalize(rawEmail)
        } catch where error.kind == .inputTooLarge {
            throw error
        } catch {
            email = nil
        }
        let throttleKey = email ?? rawEmail.lowercased()
        try await throttle?.check(account: throttleKey, address: clientAddress)

        let account = try await email.asyncFlatMap { try await store.account(email: $0) }
        let storedHash = try await account.asyncFlatMap { try await store.passwordHash(accountID: $0.id) }
        let matches: Bool
        if let storedHash {
            matches = try await hasher.verify(password, against: storedHash)
        } else {
            matches = try await hasher.verifyDecoy(password)
        }
        guard matches, let account, !account.isDisabled, let storedHash else {
            await throttle?.recordFailure(account: throttleKey, address: clientAddress)
            logger.info("login refused", metadata: ["portcullis.reason": "invalid_credentials"])
            throw PortcullisError.invalidCredentials
        }
        await throttle?.recordSuccess(account: throttleKey)
        if hasher.needsRehash(storedHash) {
            try await store.setPasswordHash(try await hasher.hash(password), accountID: account.id)
            logger.info("password hash upgraded", metadata: ["portcullis.account_id": "\(account.id)"])
        }
        return account
    }
}

extension Optional where Wrapped: Sendable {
    fileprivate func asyncFlatMap<Result>(_ transform: (Wrapped) async throws -> Result?) async rethrows -> Result? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
