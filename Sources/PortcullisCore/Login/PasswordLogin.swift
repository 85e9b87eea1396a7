public import Logging

/// Checks an email and password, with the same answer and the same cost for an unknown
/// account, a wrong password and a disabled account, behind the credential throttle.
///
/// The attempt is reserved with the throttle before the password is hashed and released only
/// when the password was right, so concurrent guesses can never outrun the allowance.
public struct PasswordLogin: Sendable {
    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: CredentialThrottle?
    private let requireVerifiedEmail: Bool
    private let logger: Logger

    /// Creates the login check. Pass `throttle: nil` to disable throttling (`--login-throttle off`);
    /// `requireVerifiedEmail` refuses accounts whose address is not proven (once the password is right).
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        policy: PasswordPolicy = PasswordPolicy(),
        throttle: CredentialThrottle?,
        requireVerifiedEmail: Bool = false,
        logger: Logger = Logger(label: "portcullis.login", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.requireVerifiedEmail = requireVerifiedEmail
        self.logger = logger
    }

    /// The account the credentials prove, or a ``PortcullisError``: `inputTooLarge` (checked
    /// before any hashing), `throttled`, `busy` (the hash queue is full), `invalidCredentials`, or
    /// `emailNotVerified` (only after the right password, so it reveals nothing to a guesser).
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
        // A full hash queue refuses at once: nothing counted, no store touched.
        if let busy = hasher.busyRefusal { throw busy }
        let reservation = try await throttle?.reserveSignIn(account: email ?? rawEmail.lowercased(), clientAddress: clientAddress)
        let account: Account
        do {
            account = try await check(email: email, password: password)
        } catch let error as PortcullisError where error.kind == .invalidCredentials {
            // The reservation stays: it is this failure's place in the count.
            logger.info("login refused", metadata: ["portcullis.reason": "invalid_credentials"])
            throw error
        } catch {
            // Nothing was tried (the hash queue was full, the store did not answer): un-count it.
            if let reservation { await throttle?.release(reservation) }
            throw error
        }
        if let reservation { await throttle?.release(reservation) }
        guard !requireVerifiedEmail || account.isEmailVerified else {
            throw PortcullisError(.emailNotVerified, "Confirm your email address first: follow the link we sent you.")
        }
        return account
    }

    /// One hash, whatever the account: a decoy for unknown accounts so timing reveals nothing.
    private func check(email: String?, password: String) async throws -> Account {
        let account = try await email.asyncFlatMap { try await store.account(email: $0) }
        let storedHash = try await account.asyncFlatMap { try await store.passwordHash(accountID: $0.id) }
        let matches: Bool
        if let storedHash {
            matches = try await hasher.verify(password, against: storedHash)
        } else {
            matches = try await hasher.verifyDecoy(password)
        }
        guard matches, let account, !account.isDisabled, let storedHash else { throw PortcullisError.invalidCredentials }
        if hasher.needsRehash(storedHash) {
            // Best effort: a busy hash queue or store postpones the upgrade to a later sign-in.
            do {
                try await store.setPasswordHash(try await hasher.hash(password), accountID: account.id)
                logger.info("password hash upgraded", metadata: ["portcullis.account_id": "\(account.id)"])
            } catch {
                logger.notice("password hash upgrade postponed", metadata: ["portcullis.account_id": "\(account.id)"])
            }
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
