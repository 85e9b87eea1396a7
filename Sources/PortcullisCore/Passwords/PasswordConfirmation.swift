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
        let reservation = try await throttle?.reserveSignIn(account: account.email, clientAddress: clientAddress)
        let matches: Bool
        let stored: String
        do {
            guard let hash = try await store.passwordHash(accountID: account.id) else { throw PortcullisError.invalidCredentials }
            stored = hash
            matches = try await hasher.verify(password, against: stored)
        } catch {
            if let reservation { await throttle?.release(reservation) }
            throw error
        }
        // A wrong password keeps its reservation: it is this failure's place in the count.
        guard matches else { throw PortcullisError(.forbidden, "The current password is not right.") }
        if let reservation { await throttle?.release(reservation) }
        return stored
    }
}
