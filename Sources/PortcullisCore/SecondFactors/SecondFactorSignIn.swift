import Crypto
public import Logging

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The second step of a sign-in, for accounts with a second factor.
///
/// A right password for such an account starts no session and issues no token: it yields a
/// challenge (the `mfa_token`), single-use and valid for five minutes, stored as a hash. The
/// second step presents it with a code from the authenticator app or a recovery code. The
/// challenge, the code and whatever the sign-in starts are used in one transaction, so two
/// requests with the same code (or the same challenge) cannot both succeed, and each wrong code
/// counts against the same throttle as a wrong password.
public struct SecondFactorSignIn: Sendable {
    /// A password proven; the second factor is still owed.
    public struct Challenge: Sendable {
        /// The `mfa_token` to present with the code.
        public let token: String
        /// What the account can present: `totp` and `recovery_code` (with an authenticator app),
        /// `webauthn` (with a passkey: ``PasskeySignIn``).
        public let methods: [String]
    }

    /// A challenge and code that check out, to be used in the transaction that starts the session
    /// or the refresh family (pass ``writes`` to it).
    public struct Completion: Sendable {
        /// The account signed in.
        public let account: Account
        /// The password hash the first step was proven against, if the challenge kept it valid.
        public let passwordHash: String?
        /// Whether the first step asked to be remembered.
        public let staySignedIn: Bool
        /// How the sign-in was proven.
        public let methods: [AuthenticationMethod]
        /// The uses of the challenge and the code.
        public let writes: [StoreWrite]
    }

    private let store: any PortcullisStore
    private let throttle: CredentialThrottle?
    private let encryption: KeyEncryptionKey
    private let recoveryCodes: RecoveryCodes
    private let clock: any WallClock
    private let logger: Logger

    /// How long a challenge lives.
    public static let challengeLifetime: Duration = .seconds(300)

    /// Creates the second step. Pass the throttle of the password step (`nil` turns counting off).
    public init(
        store: any PortcullisStore,
        throttle: CredentialThrottle?,
        encryption: KeyEncryptionKey,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.second-factor", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.throttle = throttle
        self.encryption = encryption
        self.recoveryCodes = RecoveryCodes(encryption: encryption)
        self.clock = clock
        self.logger = logger
    }

    /// The challenge that a proven password yields, or `nil` when the account has no second factor
    /// (the sign-in is complete).
    /// - Throws: ``PortcullisError/invalidCredentials`` when the password changed meanwhile.
    public func challenge(after proof: PasswordLogin.Proof, staySignedIn: Bool) async throws -> Challenge? {
        let methods = try await methods(accountID: proof.account.id)
        guard !methods.isEmpty else { return nil }
        let token = SecureRandom.token(byteCount: 32)
        let now = Date(epochSeconds: clock.now.epochSeconds)
        do {
            _ = try await store.apply(
                [
                    .requireCredential(accountID: proof.account.id, passwordHash: proof.passwordHash),
                    .insertOneTimeToken(
                        OneTimeToken(
                            hash: Self.hash(token),
                            purpose: .secondFactor,
                            accountID: proof.account.id,
                            email: proof.account.email,
                            createdAt: now,
                            expiresAt: now.addingTimeInterval(Self.challengeLifetime.timeInterval),
                            staySignedIn: staySignedIn
                        )
                    ),
                ],
                stamp: RevocationStamp(revokedAt: now, expiresAt: now)
            )
        } catch let error as StoreError where error.kind == .changed {
            throw PortcullisError.invalidCredentials
        }
        return Challenge(token: token, methods: methods)
    }

    /// What the challenge `token` can be completed with, or `nil` when it is not usable (to show
    /// the second step again after a wrong code).
    public func methods(forChallenge token: String) async throws -> [String]? {
        guard let challenge = try await Self.usableChallenge(token, in: store, at: clock.now) else { return nil }
        return try await methods(accountID: challenge.accountID)
    }

    /// The sign-in challenge `token` names, if it is one and still usable at `now`: the one
    /// lookup every way of completing the second step starts with.
    static func usableChallenge(_ token: String, in store: any PortcullisStore, at now: Date) async throws -> OneTimeToken? {
        guard token.utf8.count <= 256, let challenge = try await store.oneTimeToken(hash: hash(token)),
            challenge.purpose == .secondFactor, challenge.isUsable(at: now)
        else { return nil }
        return challenge
    }

    /// The second factors the account has, as ``Challenge/methods`` names them (empty: none).
    private func methods(accountID: String) async throws -> [String] {
        let hasApp = try await store.totpCredential(accountID: accountID)?.isConfirmed == true
        let hasPasskey = try await !store.passkeys(accountID: accountID).isEmpty
        return (hasApp ? ["totp", "recovery_code"] : []) + (hasPasskey ? ["webauthn"] : [])
    }

    /// Checks `code` against the challenge `token`, then runs `start` with the uses to commit
    /// together with the session or family it stores. A wrong code, or a code or challenge used
    /// meanwhile (the store refuses `start`'s transaction), counts as a failed sign-in.
    /// - Throws: ``PortcullisError/invalidChallenge``, ``PortcullisError/invalidCode``,
    ///   `throttled`, and whatever `start` throws.
    public func complete<Result: Sendable>(
        token: String,
        code: String,
        clientAddress: String?,
        start: (Completion) async throws -> Result
    ) async throws -> Result {
        guard let challenge = try await Self.usableChallenge(token, in: store, at: clock.now),
            let account = try await store.account(id: challenge.accountID), !account.isDisabled
        else { throw PortcullisError.invalidChallenge }
        do {
            return try await throttle.countingSignIn(account: account.email, clientAddress: clientAddress) {
                guard code.utf8.count <= 64, let proof = try await secondFactorUse(code, of: account) else { throw PortcullisError.invalidCode }
                let completion = Completion(
                    account: account,
                    passwordHash: try await store.passwordHash(accountID: account.id),
                    staySignedIn: challenge.staySignedIn,
                    methods: AuthenticationMethod.passwordAndCode,
                    writes: [.useOneTimeToken(hash: challenge.hash, purpose: .secondFactor), proof]
                )
                do {
                    return try await start(completion)
                } catch let error as StoreError where error.kind == .unusable {
                    // The code or the challenge was used meanwhile: a replay, counted.
                    throw PortcullisError.invalidCode
                }
            }
        } catch let error as PortcullisError where error.kind == .invalidCredentials {
            logger.info("second factor refused", metadata: ["portcullis.account_id": "\(account.id)"])
            throw error
        }
    }

    /// The write that uses `code` (a TOTP step or a recovery code), or `nil` if it is neither.
    private func secondFactorUse(_ code: String, of account: Account) async throws -> StoreWrite? {
        let digits = code.filter { $0 != " " }
        if digits.count == 6, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber) {
            guard let credential = try await store.totpCredential(accountID: account.id), credential.isConfirmed else { return nil }
            let key = try TwoStepVerification.openKey(credential.sealedKey, of: account, with: encryption, logger: logger)
            guard let step = key.step(matching: digits, at: clock.now) else { return nil }
            return .useTOTPStep(accountID: account.id, sealedKey: credential.sealedKey, step: step)
        }
        return recoveryCodes.hash(code).map { .useRecoveryCode(accountID: account.id, hash: $0) }
    }

    static func hash(_ token: String) -> [UInt8] { Array(SHA256.hash(data: Array(token.utf8))) }
}
