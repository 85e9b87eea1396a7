/// Asks a signed-in person for their current password before a change of credentials (a new
/// password, turning two-step verification off), behind the credential throttle: a wrong one
/// counts as a failed sign-in, so a stolen session cannot guess it.
struct PasswordConfirmation: Sendable {
    let store: any PortcullisStore
    let hasher: PasswordHasher
    let throttle: CredentialThrottle?
    var policy = PasswordPolicy()

    /// Checks `password` against the account's; returns the hash it matched (for
    /// ``StoreWrite/requireCredential(accountID:passwordHash:)``).
    /// - Throws: ``PortcullisError`` `forbidden` when it is wrong, `throttled`, `busy`, `inputTooLarge`.
    @discardableResult
    func confirm(_ password: String, of account: Account, clientAddress: String?) async throws -> String {
        try policy.checkSize(password)
        if let busy = hasher.busyRefusal { throw busy }
        // A wrong password (`forbidden`) stays counted; an account without one is not a guess.
        return try await throttle.countingSignIn(account: account.email, clientAddress: clientAddress, isFailure: { $0.kind == .forbidden }) {
            guard let stored = try await store.passwordHash(accountID: account.id) else { throw PortcullisError.invalidCredentials }
            guard try await hasher.verify(password, against: stored) else { throw PortcullisError(.forbidden, "The current password is not right.") }
            return stored
        }
    }
}
