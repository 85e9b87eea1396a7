public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Turning an authenticator app on and off, and the recovery codes that go with it.
///
/// Enrolment stores a pending key; the first valid code confirms it and returns ten recovery
/// codes, shown once. Confirming, turning off and new recovery codes are changes of credentials:
/// each ends every other session and refresh family of the account and publishes it, like a
/// password change, so a sign-in proven before the change does not outlive it.
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

    private let store: any PortcullisStore
    private let hasher: PasswordHasher
    private let throttle: CredentialThrottle?
    private let sessions: SessionManager
    private let encryption: KeyEncryptionKey
    private let recoveryCodes: RecoveryCodes
    private let revocations: RevocationLog
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
        self.hasher = hasher
        self.throttle = throttle
        self.sessions = sessions
        self.encryption = encryption
        self.recoveryCodes = RecoveryCodes(encryption: encryption)
        self.revocations = RevocationLog(store: store, horizon: revocationHorizon, clock: clock)
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
    /// - Throws: ``PortcullisError`` `invalidRequest` when the app is already on.
    public func begin(for account: Account) async throws -> Enrolment {
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
        return enrolment(try AuthenticatorKey.open(pending.sealedKey, with: encryption, accountID: account.id), for: account)
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
        let key = try AuthenticatorKey.open(pending.sealedKey, with: encryption, accountID: account.id)
        guard let step = key.step(matching: code, at: clock.now) else { throw PortcullisError.invalidCode }
        let codes = RecoveryCodes.generate()
        do {
            try await changeFactors(
                of: account,
                [
                    .confirmTOTP(accountID: account.id, step: step),
                    .replaceRecoveryCodes(accountID: account.id, hashes: codes.compactMap(recoveryCodes.hash)),
                ],
                keepingSession: keepingSession
            )
        } catch let error as StoreError where error.kind == .unusable {
            throw PortcullisError(.invalidRequest, "Start setting up two-step verification first.")
        }
        logger.info("two-step verification on", metadata: ["portcullis.account_id": "\(account.id)"])
        return codes
    }

    /// Replaces the recovery codes with new ones (the old ones stop working); returns them, to
    /// show once.
    /// - Throws: ``PortcullisError`` `invalidRequest` when the app is off.
    public func newRecoveryCodes(for account: Account, keepingSession: String?) async throws -> [String] {
        guard try await store.totpCredential(accountID: account.id)?.isConfirmed == true else { throw Self.notOn }
        let codes = RecoveryCodes.generate()
        try await changeFactors(
            of: account,
            [.replaceRecoveryCodes(accountID: account.id, hashes: codes.compactMap(recoveryCodes.hash))],
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
        try await PasswordConfirmation(store: store, hasher: hasher, throttle: throttle).confirm(password, of: account, clientAddress: clientAddress)
        try await changeFactors(of: account, [.removeTOTP(accountID: account.id)], keepingSession: keepingSession)
        logger.info("two-step verification off", metadata: ["portcullis.account_id": "\(account.id)"])
    }

    /// Applies a change of factors with the end of every other session and refresh family.
    private func changeFactors(of account: Account, _ writes: [StoreWrite], keepingSession: String?) async throws {
        let applied = try await store.apply(
            writes + [.endAccess(.account(id: account.id, keepingSession: keepingSession))],
            stamp: revocations.stamp()
        )
        sessions.forget(applied)
    }

    private static let alreadyOn = PortcullisError(.invalidRequest, "Two-step verification is already on. Turn it off first to use another app.")
    private static let notOn = PortcullisError(.invalidRequest, "Two-step verification is off.")
}
