#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Creates and administers accounts.
public struct AccountService: Sendable {
    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let clock: any WallClock

    /// Creates the service.
    public init(store: any PortcullisStore, hasher: PasswordHasher, policy: PasswordPolicy = PasswordPolicy(), clock: any WallClock = SystemClock()) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.clock = clock
    }

    /// Registers a new account.
    /// - Throws: ``PortcullisError`` `invalidEmail`, `weakPassword`, `inputTooLarge` or `emailTaken`.
    public func register(email rawEmail: String, password: String, roles: [String] = []) async throws -> Account {
        let email = try EmailAddress.normalize(rawEmail)
        try policy.validate(password, email: email)
        if try await store.account(email: email) != nil {
            throw PortcullisError(.emailTaken, "An account with this email address already exists.")
        }
        let account = Account(email: email, roles: roles, createdAt: Date(epochSeconds: clock.now.epochSeconds))
        let hash = try await hasher.hash(password)
        do {
            try await store.insertAccount(account, passwordHash: hash)
        } catch let error as StoreError where error.kind == .duplicate {
            throw PortcullisError(.emailTaken, "An account with this email address already exists.")
        }
        return account
    }

    /// Disables or re-enables an account. A disabled account's sessions and tokens are refused at
    /// once; ending and publishing them is the caller's (see `PortcullisServices.setDisabled`).
    /// - Returns: the updated account, or `nil` if there is none with this id.
    public func setDisabled(_ disabled: Bool, accountID: String) async throws -> Account? {
        guard var account = try await store.account(id: accountID) else { return nil }
        if disabled != account.isDisabled {
            account.disabledAt = disabled ? Date(epochSeconds: clock.now.epochSeconds) : nil
            _ = try await store.updateAccount(account)
        }
        return account
    }
}
