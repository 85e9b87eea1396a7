public import Logging

/// Checks an email and password, with the same answer and the same cost for an unknown
/// account, a wrong password and a disabled account, behind the credential throttle.
///
/// The attempt is reserved with the throttle before the password is hashed and released only
/// when the password was right, so concurrent guesses can never outrun the allowance.
public struct PasswordLogin: Sendable {
    /// An account whose password has just been proven, and the hash it was proven against.
    ///
    /// Store what the sign-in starts under ``StoreWrite/requireCredential(accountID:passwordHash:)``
    /// with ``passwordHash`` (``SessionManager`` and ``TokenService`` do): if a reset or change of
    /// the password commits while this sign-in is in flight, the sign-in fails instead of leaving a
    /// session or token the reset did not see.
    public struct Proof: Sendable {
        /// The signed-in account.
        public let account: Account
        /// The password hash the password matched (after any upgrade of its parameters).
        public let passwordHash: String
    }

    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let policy: PasswordPolicy
    private let throttle: CredentialThrottle?
    private let requireVerifiedEmail: Bool
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the login check. Pass `throttle: nil` to disable throttling (`--login-throttle off`);
    /// `requireVerifiedEmail` refuses accounts whose address is not proven (once the password is right).
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        policy: PasswordPolicy = PasswordPolicy(),
        throttle: CredentialThrottle?,
        requireVerifiedEmail: Bool = false,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.login", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.hasher = hasher
        self.policy = policy
        self.throttle = throttle
        self.requireVerifiedEmail = requireVerifiedEmail
        self.clock = clock
        self.logger = logger
    }

    /// The account the credentials prove, or a ``PortcullisError``: `inputTooLarge` (checked
    /// before any hashing), `throttled`, `busy` (the hash queue is full), `invalidCredentials`, or
    /// `emailNotVerified` (only after the right password, so it reveals nothing to a guesser).
    public func authenticate(email rawEmail: String, password: String, clientAddress: String?) async throws -> Proof {
        try policy.checkSize(password)
        let email: String?
        do {
            email = try EmailAddress.normalize(rawEmail)
        } catch  where error.kind == .inputTooLarge {
            throw error
        } catch {
            email = nil
        }
        // A full hash queue refuses at once: nothing counted, no store touched.
        if let busy = hasher.busyRefusal { throw busy }
        let proof: Proof
        do {
            proof = try await throttle.countingSignIn(account: email ?? rawEmail.lowercased(), clientAddress: clientAddress) {
                try await check(email: email, password: password)
            }
        } catch let error as PortcullisError where error.kind == .invalidCredentials {
            logger.info("login refused", metadata: ["portcullis.reason": "invalid_credentials"])
            throw error
        }
        guard !requireVerifiedEmail || proof.account.isEmailVerified else { throw PortcullisError.emailNotVerified }
        return proof
    }

    /// One hash, whatever the account: a decoy for unknown accounts so timing reveals nothing.
    private func check(email: String?, password: String) async throws -> Proof {
        let account = try await email.asyncFlatMap { try await store.account(email: $0) }
        let storedHash = try await account.asyncFlatMap { try await store.passwordHash(accountID: $0.id) }
        let matches: Bool
        if let storedHash {
            matches = try await hasher.verify(password, against: storedHash)
        } else {
            matches = try await hasher.verifyDecoy(password)
        }
        guard matches, let account, !account.isDisabled, let storedHash else { throw PortcullisError.invalidCredentials }
        guard hasher.needsRehash(storedHash) else { return Proof(account: account, passwordHash: storedHash) }
        // Best effort: a busy hash queue or store postpones the upgrade to a later sign-in. The
        // upgrade replaces only the hash just checked: never a new password set meanwhile.
        do {
            let upgraded = try await hasher.hash(password)
            _ = try await store.apply(
                [.requireCredential(accountID: account.id, passwordHash: storedHash), .setPasswordHash(accountID: account.id, hash: upgraded)],
                stamp: RevocationStamp(revokedAt: clock.now, expiresAt: clock.now)
            )
            logger.info("password hash upgraded", metadata: ["portcullis.account_id": "\(account.id)"])
            return Proof(account: account, passwordHash: upgraded)
        } catch {
            logger.notice("password hash upgrade postponed", metadata: ["portcullis.account_id": "\(account.id)"])
            return Proof(account: account, passwordHash: storedHash)
        }
    }
}

extension Optional where Wrapped: Sendable {
    fileprivate func asyncFlatMap<Result>(_ transform: (Wrapped) async throws -> Result?) async rethrows -> Result? {
        guard let value = self else { return nil }
        return try await transform(value)
    }
}
