#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where accounts live. Emails are stored normalized and are unique.
public protocol AccountStore: Sendable {
    /// Inserts a new account with its first password hash, atomically.
    /// - Throws: ``StoreError/duplicate`` when the email is taken.
    func insertAccount(_ account: Account, passwordHash: String) async throws

    /// The account with this id.
    func account(id: String) async throws -> Account?

    /// The account with this normalized email.
    func account(email: String) async throws -> Account?

    /// Every account, oldest first.
    func allAccounts() async throws -> [Account]

    /// Applies `change` to the account, touching only the fields it names, so two concurrent
    /// changes never undo each other. Disabling keeps the time of the first disable.
    /// - Returns: the account as changed, or `nil` when there is none with this id.
    func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account?
}

/// Where the secrets that prove an account's identity live (passwords now; later, client secrets).
public protocol CredentialStore: Sendable {
    /// The account's password hash (a PHC string). It is replaced with
    /// ``StoreWrite/setPasswordHash(accountID:hash:)``.
    func passwordHash(accountID: String) async throws -> String?
}
