public import Logging

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Turning an authenticator app on and off, and the recovery codes that go with it.
///
/// Enrolment stores a pending key; the first valid code confirms it and returns ten recovery
/// codes, shown once. Confirming, turning off and new recovery codes are changes of credentials:
/// each ends every other session and refresh family of the account and publishes it, like a
/// password change, so a sign-in proven before the change does not outlive it, and retires the
/// sign-in challenges in flight.
///
/// Starting an enrolment and new recovery codes need a recent sign-in (within
/// ``recentSignIn``) or the password; turning the app off always needs the password. So a stolen
/// session or token alone can neither put the thief's app on the account nor take codes that
/// would outlive a password reset.
public struct TwoStepVerification: Sendable {
    /// What an authenticator app needs to start producing codes.
    public struct Enrolment: Sendable {
        /// The key in Base32, for typing in.
        public let secret: String
        /// The `otpauth://` URI, for the QR code.
        public let provisioningURI: String
    }

    /// Where an account stands.
    public struct Status: Sendable {
        /// Whether sign-in asks for a code.
        public let isOn: Bool
        /// Whether an enrolment waits for its first code.
        public let isPending: Bool
        /// Recovery codes not yet used.
        public let recoveryCodesLeft: Int
    }

    /// How long after signing in a person may start an enrolment or get new recovery codes
    /// without typing the password again.
    public static let recentSignIn: Duration = FactorChanges.recentSignIn

    private let store: any PortcullisStore
    private let changes: FactorChanges
    private let encryption: KeyEncryptionKey
    private let recoveryCodes: RecoveryCodes
    private let issuer: String
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the use cases.
    /// - Parameters:
    ///   - throttle: counts wrong passwords when turning the app off; `nil` turns that off.
    ///   - sessions: whose caches must forget at once the sessions a change ends.
    ///   - encryption: seals the keys at rest and keys the recovery-code hashes.
    ///   - revocationHorizon: how long the `user` entry of a change matters.
    ///   - issuer: the name authenticator apps show beside the code (the site's host).
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        throttle: CredentialThrottle?,
        sessions: SessionManager,
        encryption: KeyEncryptionKey,
        revocationHorizon: Duration,
        issuer: String,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.two-step", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.changes = FactorChanges(
            store: store,
            hasher: hasher,
            throttle: throttle,
            sessions: sessions,
            revocationHorizon: revocationHorizon,
            clock: clock
        )
        self.encryption = encryption
        self.recoveryCodes = RecoveryCodes(encryption: encryption)
        self.issuer = issuer
        self.clock = clock
        self.logger = logger
    }

    /// Where `account` stands.
    public func status(of account: Account) async throws -> Status {
        let credential = try await store.totpCredential(accountID: account.id)
        return Status(
            isOn: credential?.isConfirmed == true,
            isPending: credential.map { !$0.isConfirmed } ?? false,
            recoveryCodesLeft: try await store.unusedRecoveryCodeCount(accountID: account.id)
        )
    }

    /// Starts (or restarts) enrolment with a new key.
    /// - Parameters:
    ///   - signedInAt: when the caller's sign-in happened (its session's start or token's `auth_time`).
    ///   - password: the account's password, needed when that sign-in is not recent.
    /// - Throws: ``PortcullisError`` `invalidRequest` when the app is already on; `forbidden` for a
    ///   sign-in that is not recent without the password, or a wrong password (counted); `throttled`.
    public func begin(for account: Account, signedInAt: Date?, password: String?, clientAddress: String?) async throws -> Enrolment {
        try await changes.requireRecentProof(of: account, signedInAt: signedInAt, password: password, clientAddress: clientAddress)
        let key = AuthenticatorKey.generate()
        let now = clock.now
        do {
            _ = try await store.apply(
                [.beginTOTP(TOTPCredential(accountID: account.id, sealedKey: try key.seal(with: encryption, accountID: account.id), createdAt: now))],
                stamp: RevocationStamp(revokedAt: now, expiresAt: now)
            )
        } catch let error as StoreError where error.kind == .duplicate {
            throw Self.alreadyOn
        }
        return enrolment(key, for: account)
    }

    /// The enrolment waiting for its first code, to show again (after a mistyped code), or `nil`.
    public func pendingEnrolment(for account: Account) async throws -> Enrolment? {
        guard let pending = try await store.totpCredential(accountID: account.id), !pending.isConfirmed else { return nil }
        return enrolment(try Self.openKey(pending.sealedKey, of: account, with: encryption, logger: logger), for: account)
    }

    private func enrolment(_ key: AuthenticatorKey, for account: Account) -> Enrolment {
        Enrolment(secret: key.base32, provisioningURI: key.provisioningURI(issuer: issuer, account: account.email))
    }

    /// Confirms enrolment with a first code; returns the recovery codes, to show once. Ends every
    /// other session and refresh family of the account, keeping `keepingSession`.
    /// - Throws: ``PortcullisError/invalidCode``; `invalidRequest` when no enrolment is pending.
    public func confirm(for account: Account, code: String, keepingSession: String?) async throws -> [String] {
        guard let pending = try await store.totpCredential(accountID: account.id), !pending.isConfirmed else {
            throw PortcullisError(.invalidRequest, "Start setting up two-step verification first.")
        }
        let key = try Self.openKey(pending.sealedKey, of: account, with: encryption, logger: logger)
        guard let step = key.step(matching: code, at: clock.now) else { throw PortcullisError.invalidCode }
        let codes = RecoveryCodes.generate()
        do {
            // Bound to the key the code was checked against: an enrolment restarted meanwhile (another
            // tab) is not confirmed by this code.
            try await changes.apply(
                [
                    .confirmTOTP(accountID: account.id, sealedKey: pending.sealedKey, step: step),
                    .replaceRecoveryCodes(accountID: account.id, hashes: codes.compactMap(recoveryCodes.hash)),
                ],
                to: account,
                keepingSession: keepingSession
            )
        } catch let error as StoreError where error.kind == .unusable {
            throw PortcullisError(.invalidRequest, "Start setting up two-step verification first.")
        }
        logger.info("two-step verification on", metadata: ["portcullis.account_id": "\(account.id)"])
        return codes
    }

    /// Replaces the recovery codes with new ones (the old ones stop working); returns them, to
    /// show once. Needs a recent sign-in or the password, as ``begin(for:signedInAt:password:clientAddress:)``.
    /// - Throws: ``PortcullisError`` `invalidRequest` when the app is off; `forbidden`, `throttled`.
    public func newRecoveryCodes(
        for account: Account,
        keepingSession: String?,
        signedInAt: Date?,
        password: String?,
        clientAddress: String?
    ) async throws -> [String] {
        guard try await store.totpCredential(accountID: account.id)?.isConfirmed == true else { throw Self.notOn }
        try await changes.requireRecentProof(of: account, signedInAt: signedInAt, password: password, clientAddress: clientAddress)
        let codes = RecoveryCodes.generate()
        try await changes.apply(
            [.replaceRecoveryCodes(accountID: account.id, hashes: codes.compactMap(recoveryCodes.hash))],
            to: account,
            keepingSession: keepingSession
        )
        logger.info("recovery codes replaced", metadata: ["portcullis.account_id": "\(account.id)"])
        return codes
    }

    /// Turns the app off, given the account's password (a wrong one counts as a failed sign-in),
    /// and deletes the recovery codes. Ends every other session and refresh family.
    /// - Throws: ``PortcullisError`` `forbidden` for a wrong password, `throttled`, `busy`,
    ///   `invalidRequest` when the app is off.
    public func turnOff(for account: Account, password: String, keepingSession: String?, clientAddress: String?) async throws {
        guard try await store.totpCredential(accountID: account.id) != nil else { throw Self.notOn }
        let stored = try await changes.confirmPassword(password, of: account, clientAddress: clientAddress)
        do {
            // Only over the password just checked: a reset that committed meanwhile wins.
            try await changes.apply(
                [.requireCredential(accountID: account.id, passwordHash: stored), .removeTOTP(accountID: account.id)],
                to: account,
                keepingSession: keepingSession
            )
        } catch let error as StoreError where error.kind == .changed {
            throw PortcullisError(.forbidden, "The password was changed meanwhile. Nothing was changed now.")
        }
        logger.info("two-step verification off", metadata: ["portcullis.account_id": "\(account.id)"])
    }

    /// Opens an account's sealed key; a key that cannot be opened (a damaged row, another key
    /// file) is logged and answered as the store being unavailable, never as a wrong code.
    static func openKey(_ sealed: [UInt8], of account: Account, with encryption: KeyEncryptionKey, logger: Logger) throws -> AuthenticatorKey {
        do {
            return try AuthenticatorKey.open(sealed, with: encryption, accountID: account.id)
        } catch {
            logger.error("authenticator key cannot be opened", metadata: ["portcullis.account_id": "\(account.id)"])
            throw PortcullisError(.storeUnavailable, "The authenticator key cannot be read.")
        }
    }

    private static let alreadyOn = PortcullisError(.invalidRequest, "Two-step verification is already on. Turn it off first to use another app.")
    private static let notOn = PortcullisError(.invalidRequest, "Two-step verification is off.")
}
