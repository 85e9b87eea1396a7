import Crypto
public import Logging
import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Adding, listing, renaming and removing an account's passkeys (the registration ceremony of
/// WebAuthn Level 2, §7.1).
///
/// Adding and removing a passkey are changes of factors: each needs a sign-in within
/// ``TwoStepVerification/recentSignIn`` or the password, and each ends every other session and
/// refresh family of the account and retires the sign-in challenges in flight, in its own
/// transaction. The registration challenge is bound to the account and the caller's session, so
/// options fetched by one session cannot complete a registration in another.
public struct PasskeyService: Sendable {
    /// What the browser's `navigator.credentials.create()` needs (`PublicKeyCredentialCreationOptions`).
    public struct CreationOptions: Sendable {
        /// The site.
        public let relyingParty: RelyingParty
        /// The user handle: the account id's bytes (no personal data).
        public let userID: [UInt8]
        /// The account's email, which authenticators show.
        public let userName: String
        /// The one-time challenge.
        public let challenge: [UInt8]
        /// The COSE algorithms accepted, most preferred first.
        public let algorithms: [Int64]
        /// The passkeys the account has, which the authenticator must not duplicate.
        public let excluded: [Passkey]
        /// How long the ceremony may take.
        public let timeout: Duration
    }

    private let store: any PortcullisStore
    private let changes: FactorChanges
    private let challenges: PasskeyChallenge
    private let relyingParty: RelyingParty
    private let clock: any WallClock
    private let logger: Logger

    /// The most passkeys one account may have.
    public static let maximumPerAccount = 20

    /// Creates the use cases.
    /// - Parameters:
    ///   - throttle: counts wrong passwords given to confirm a change; `nil` turns that off.
    ///   - sessions: whose caches must forget at once the sessions a change ends.
    ///   - encryption: keys the challenges.
    ///   - revocationHorizon: how long the `user` entry of a change matters.
    ///   - relyingParty: the site, from the public URL.
    public init(
        store: any PortcullisStore,
        hasher: PasswordHasher,
        throttle: CredentialThrottle?,
        sessions: SessionManager,
        encryption: KeyEncryptionKey,
        revocationHorizon: Duration,
        relyingParty: RelyingParty,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.passkeys", factory: { _ in SwiftLogNoOpLogHandler() })
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
        self.challenges = PasskeyChallenge(encryption: encryption)
        self.relyingParty = relyingParty
        self.clock = clock
        self.logger = logger
    }

    /// The account's passkeys, oldest first.
    public func list(for account: Account) async throws -> [Passkey] {
        try await store.passkeys(accountID: account.id)
    }

    /// Options for adding a passkey, bound to the account and `session` (the caller's session id
    /// or token `sid`).
    /// - Parameters:
    ///   - signedInAt: when the caller signed in; `password` is needed when that is not recent.
    /// - Throws: ``PortcullisError`` `forbidden` without a recent sign-in or the right password;
    ///   `invalidRequest` when the account has ``maximumPerAccount`` passkeys; `throttled`.
    public func registrationOptions(
        for account: Account,
        session: String,
        signedInAt: Date?,
        password: String?,
        clientAddress: String?
    ) async throws -> CreationOptions {
        try await changes.requireRecentProof(of: account, signedInAt: signedInAt, password: password, clientAddress: clientAddress)
        let existing = try await store.passkeys(accountID: account.id)
        guard existing.count < Self.maximumPerAccount else { throw Self.tooMany }
        return CreationOptions(
            relyingParty: relyingParty,
            userID: Array(account.id.utf8),
            userName: account.email,
            challenge: challenges.issue(for: .registration, binding: Self.binding(account, session), now: clock.now),
            algorithms: COSEKey.supportedAlgorithms,
            excluded: existing,
            timeout: PasskeyChallenge.lifetime
        )
    }

    /// Checks the browser's answer to ``registrationOptions(for:session:signedInAt:password:clientAddress:)``
    /// and stores the passkey under `name`. Ends every other session and refresh family of the
    /// account, keeping `session`.
    /// - Throws: ``PortcullisError`` `invalidRequest` for a malformed or unsupported response or a
    ///   passkey registered already; `invalidCredentials` for one that fails a check.
    public func register(_ response: RegistrationResponse, name: String?, for account: Account, session: String) async throws -> Passkey {
        let now = clock.now
        let checked: (attestation: AttestationObject, expiry: Date, challenge: [UInt8])
        do {
            checked = try check(response, for: account, session: session, now: now)
        } catch {
            logger.info("passkey registration refused", metadata: ["portcullis.account_id": "\(account.id)", "portcullis.reason": "\(error)"])
            throw error.error
        }
        // Options are not stored, so several may be out at once: the limit is checked again here.
        guard try await store.passkeys(accountID: account.id).count < Self.maximumPerAccount else { throw Self.tooMany }
        let attestation = checked.attestation
        let passkey = Passkey(
            id: Base64.encode(attestation.credential.id),
            accountID: account.id,
            name: Passkey.name(name),
            publicKey: attestation.credential.publicKey,
            signCount: attestation.authenticatorData.signCount,
            isBackupEligible: attestation.authenticatorData.backupEligible,
            transports: Self.knownTransports.filter { (response.response.transports ?? []).contains($0) },
            createdAt: Date(epochSeconds: now.epochSeconds)
        )
        do {
            try await changes.apply(
                [
                    // The passkey first: on a shared store it takes the account row for the change
                    // before anything else holds it.
                    .insertPasskey(passkey),
                    .spendOneTimeToken(Self.spent(checked.challenge, of: account, expiresAt: checked.expiry, now: now)),
                ],
                to: account,
                keepingSession: session
            )
        } catch let error as StoreError where error.kind == .duplicate {
            throw PortcullisError(.invalidRequest, "This passkey is registered already.")
        } catch let error as StoreError where error.kind == .unusable {
            throw PasskeyRefusal.staleChallenge.error
        }
        logger.info(
            "passkey added",
            metadata: ["portcullis.account_id": "\(account.id)", "portcullis.passkey_algorithm": "\(attestation.key.algorithm)"]
        )
        return passkey
    }

    /// Renames one of the account's passkeys.
    /// - Throws: ``PortcullisError`` `notFound` when the account has no passkey `id`.
    public func rename(_ id: String, to name: String?, for account: Account) async throws -> Passkey {
        let newName = Passkey.name(name)
        do {
            _ = try await store.apply(
                [.renamePasskey(id: id, accountID: account.id, name: newName)],
                stamp: RevocationStamp(revokedAt: clock.now, expiresAt: clock.now)
            )
        } catch let error as StoreError where error.kind == .unusable {
            throw Self.notFound
        }
        guard let renamed = try await store.passkey(id: id), renamed.accountID == account.id else { throw Self.notFound }
        return renamed
    }

    /// Removes one of the account's passkeys; needs a recent sign-in or the password, and always
    /// the password when it is the account's last second factor. Ends every other session and
    /// refresh family of the account, keeping `keepingSession`.
    /// - Throws: ``PortcullisError`` `notFound`, `forbidden`, `throttled`.
    public func remove(
        _ id: String,
        for account: Account,
        keepingSession: String?,
        signedInAt: Date?,
        password: String?,
        clientAddress: String?
    ) async throws {
        guard let passkey = try await store.passkey(id: id), passkey.accountID == account.id else { throw Self.notFound }
        // The last second factor takes the account back to a password alone: that always needs
        // the password, as turning the authenticator app off does. Without the password, the
        // removal is stored only if a second factor remains, checked in its transaction: two
        // removals at once cannot each leave "the other one" behind.
        let passkeysLeft = try await store.passkeys(accountID: account.id).count
        let hasApp = try await store.totpCredential(accountID: account.id)?.isConfirmed == true
        let isLastFactor = passkeysLeft == 1 && !hasApp
        let passwordChecked = try await changes.requireRecentProof(
            of: account,
            signedInAt: isLastFactor ? nil : signedInAt,
            password: password,
            clientAddress: clientAddress
        )
        let writes: [StoreWrite] =
            [.removePasskey(id: id, accountID: account.id)] + (passwordChecked ? [] : [.requireSecondFactor(accountID: account.id)])
        do {
            try await changes.apply(writes, to: account, keepingSession: keepingSession)
        } catch let error as StoreError where error.kind == .unusable {
            throw Self.notFound
        } catch let error as StoreError where error.kind == .changed {
            throw FactorChanges.passwordNeeded
        }
        logger.info("passkey removed", metadata: ["portcullis.account_id": "\(account.id)"])
    }

    /// The registration checks of WebAuthn §7.1, steps 5 to 21 (attestation trust aside).
    private func check(
        _ response: RegistrationResponse,
        for account: Account,
        session: String,
        now: Date
    ) throws(PasskeyRefusal) -> (attestation: AttestationObject, expiry: Date, challenge: [UInt8]) {
        guard response.type == "public-key" else { throw .malformed("type is \(response.type)") }
        let clientData = try CollectedClientData.check(response.response.clientDataJSON, type: "webauthn.create", relyingParty: relyingParty)
        guard let expiry = challenges.expiry(of: clientData.challenge, for: .registration, binding: Self.binding(account, session), now: now) else {
            throw .staleChallenge
        }
        guard let attestationBytes = Base64.decode(response.response.attestationObject) else {
            throw .malformed("attestationObject is not base64url")
        }
        let attestation = try AttestationObject(attestationBytes, clientDataHash: Array(SHA256.hash(data: clientData.bytes)))
        let data = attestation.authenticatorData
        guard ConstantTime.equals(data.relyingPartyIDHash, Array(SHA256.hash(data: Array(relyingParty.id.utf8)))) else { throw .wrongRelyingParty }
        guard data.userPresent, data.userVerified else { throw .userNotVerified }
        guard Base64.decode(response.rawId) == attestation.credential.id, response.id == response.rawId else {
            throw .malformed("the credential id differs from the attested one")
        }
        // WebAuthn Level 3 asks for at least 16 bytes: an id that short (or empty) is not random enough to be unique.
        guard attestation.credential.id.count >= 16 else { throw .malformed("the credential id is shorter than 16 bytes") }
        return (attestation, expiry, clientData.challenge)
    }

    /// What a registration challenge is bound to.
    static func binding(_ account: Account, _ session: String) -> String { "\(account.id)\n\(session)" }

    /// The record that marks a ceremony's challenge spent. It is kept a challenge lifetime past
    /// the challenge's expiry, so an instance whose clock runs behind the one that sweeps expired
    /// tokens still finds it while it would accept the challenge.
    static func spent(_ challenge: [UInt8], of account: Account, expiresAt: Date, now: Date) -> OneTimeToken {
        OneTimeToken(
            hash: PasskeyChallenge.spentHash(challenge),
            purpose: .passkeyChallenge,
            accountID: account.id,
            email: account.email,
            createdAt: Date(epochSeconds: now.epochSeconds),
            expiresAt: expiresAt.addingTimeInterval(PasskeyChallenge.lifetime.timeInterval)
        )
    }

    private static let notFound = PortcullisError(.notFound, "You have no passkey with this id.")
    private static let tooMany = PortcullisError(.invalidRequest, "An account can have at most \(maximumPerAccount) passkeys. Remove one first.")

    /// The transports WebAuthn names (`AuthenticatorTransport`); others are not kept.
    private static let knownTransports = ["usb", "nfc", "ble", "smart-card", "hybrid", "internal"]
}
