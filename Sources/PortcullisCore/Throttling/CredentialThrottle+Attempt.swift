extension Optional where Wrapped == CredentialThrottle {
    /// Runs one check of a credential (a password, a code) in the sign-in count of `account` and
    /// `clientAddress`, or just runs it when throttling is off (`nil`).
    ///
    /// The attempt is reserved before `check` runs, so concurrent guesses can never outrun the
    /// allowance. It stays counted when `check` fails with an error `isFailure` accepts (a wrong
    /// credential); it is released when `check` succeeds, or fails for another reason (nothing
    /// was tried: the hash queue was full, the store did not answer).
    /// - Throws: ``PortcullisError`` `throttled` before `check` runs; whatever `check` throws.
    func countingSignIn<Result>(
        account: String,
        clientAddress: String?,
        isFailure: (PortcullisError) -> Bool = { $0.kind == .invalidCredentials },
        _ check: () async throws -> Result
    ) async throws -> Result {
        let reservation = try await self?.reserveSignIn(account: account, clientAddress: clientAddress)
        let result: Result
        do {
            result = try await check()
        } catch let error as PortcullisError where isFailure(error) {
            // The reservation stays: it is this failure's place in the count.
            throw error
        } catch {
            if let reservation { await self?.release(reservation) }
            throw error
        }
        if let reservation { await self?.release(reservation) }
        return result
    }
}
