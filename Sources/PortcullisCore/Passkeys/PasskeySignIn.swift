import Crypto
public import Logging
import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signing in with a passkey (the authentication ceremony of WebAuthn Level 2, §7.2).
///
/// A passkey with user verification is a complete sign-in, two factors in one: something the
/// person has (the authenticator) and something they know or are (its PIN or biometric). It
/// needs no email: the options name no credential, and the authenticator offers the discoverable
/// passkeys it holds for this site. A passkey also completes the second step of a password
/// sign-in (`mfa_token`), and then the challenge is bound to that token and the passkey must be
/// the same account's.
///
/// The challenge, the passkey's new signature counter and whatever the sign-in starts are
/// written in one transaction: a replayed assertion, or two uses of one counter value, let at
/// most one through. A counter that did not increase is logged as a possibly cloned
/// authenticator and refused. Refused assertions of a registered passkey count against the same
/// throttle as wrong passwords (an unknown credential id names no account to count against).
public struct PasskeySignIn: Sendable {
    /// What the browser's `navigator.credentials.get()` needs (`PublicKeyCredentialRequestOptions`).
    public struct RequestOptions: Sendable {
        /// The site.
        public let relyingParty: RelyingParty
        /// The one-time challenge.
        public let challenge: [UInt8]
        /// For a second step: the account's passkeys; empty for a discoverable sign-in.
        public let allowed: [Passkey]
        /// How long the ceremony may take.
        public let timeout: Duration
    }

    private let store: any PortcullisStore
    private let throttle: CredentialThrottle?
    private let challenges: PasskeyChallenge
    private let relyingParty: RelyingParty
    private let requireVerifiedEmail: Bool
    private let clock: any WallClock
    private let logger: Logger

    /// Creates the sign-in. Pass the throttle of the password step (`nil` turns counting off).
    public init(
        store: any PortcullisStore,
        throttle: CredentialThrottle?,
        encryption: KeyEncryptionKey,
        relyingParty: RelyingParty,
        requireVerifiedEmail: Bool = false,
        clock: any WallClock = SystemClock(),
        logger: Logger = Logger(label: "portcullis.passkeys", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.store = store
        self.throttle = throttle
        self.challenges = PasskeyChallenge(encryption: encryption)
        self.relyingParty = relyingParty
        self.requireVerifiedEmail = requireVerifiedEmail
        self.clock = clock
        self.logger = logger
    }

    /// Options for a sign-in: discoverable (no `mfaToken`), or the second step of the password
    /// sign-in that answered `mfaToken`. Writes nothing.
    /// - Throws: ``PortcullisError/invalidChallenge`` for an `mfaToken` that is not usable.
    public func options(mfaToken: String?) async throws -> RequestOptions {
        var allowed: [Passkey] = []
        if let mfaToken {
            let challenge = try await secondStep(mfaToken)
            allowed = try await store.passkeys(accountID: challenge.accountID)
            // An empty list would let the browser offer any passkey it holds for the site.
            guard !allowed.isEmpty else { throw PortcullisError(.invalidRequest, "This account has no passkey.") }
        }
        return RequestOptions(
            relyingParty: relyingParty,
            challenge: challenges.issue(for: .signIn, binding: Self.binding(mfaToken), now: clock.now),
            allowed: allowed,
            timeout: PasskeyChallenge.lifetime
        )
    }

    /// Checks the browser's answer to ``options(mfaToken:)``, then runs `start` with the writes
    /// to commit together with the session or family it stores.
    /// - Parameter staySignedIn: for a discoverable sign-in, whether to be remembered (a second
    ///   step keeps the choice of the password step).
    /// - Throws: ``PortcullisError`` `invalidCredentials` for an assertion that fails a check;
    ///   `invalidRequest` for a malformed one; `emailNotVerified`, `throttled`, and whatever
    ///   `start` throws.
    public func complete<Result: Sendable>(
        _ response: AssertionResponse,
        mfaToken: String?,
        staySignedIn: Bool,
        clientAddress: String?,
        start: (SecondFactorSignIn.Completion) async throws -> Result
    ) async throws -> Result {
        let now = clock.now
        var firstStep: OneTimeToken?
        if let mfaToken { firstStep = try await secondStep(mfaToken) }
        guard response.id.utf8.count <= 1400, let passkey = try await store.passkey(id: response.id),
            firstStep.map({ $0.accountID == passkey.accountID }) ?? true,
            let account = try await store.account(id: passkey.accountID), !account.isDisabled
        else {
            logger.info("passkey sign-in refused", metadata: ["portcullis.reason": "\(PasskeyRefusal.unknownCredential)"])
            throw PasskeyRefusal.unknownCredential.error
        }
        return try await throttle.countingSignIn(account: account.email, clientAddress: clientAddress) {
            let checked: (signCount: UInt32, expiry: Date, challenge: [UInt8])
            do throws(PasskeyRefusal) {
                checked = try check(response, of: passkey, mfaToken: mfaToken, now: now)
            } catch {
                logger.notice(
                    "passkey sign-in refused",
                    metadata: ["portcullis.account_id": "\(account.id)", "portcullis.passkey": "\(passkey.id)", "portcullis.reason": "\(error)"]
                )
                throw error.error
            }
            guard !requireVerifiedEmail || account.isEmailVerified else { throw PortcullisError.emailNotVerified }
            var writes: [StoreWrite] = [
                .spendOneTimeToken(PasskeyService.spent(checked.challenge, of: account, expiresAt: checked.expiry, now: now)),
                .usePasskey(id: passkey.id, accountID: account.id, signCount: passkey.signCount, newSignCount: checked.signCount),
            ]
            if let mfaToken { writes.append(.useOneTimeToken(hash: SecondFactorSignIn.hash(mfaToken), purpose: .secondFactor)) }
            let completion = SecondFactorSignIn.Completion(
                account: account,
                passwordHash: firstStep == nil ? nil : try await store.passwordHash(accountID: account.id),
                staySignedIn: firstStep?.staySignedIn ?? staySignedIn,
                methods: firstStep == nil ? AuthenticationMethod.passkey : [.password] + AuthenticationMethod.passkey,
                writes: writes
            )
            do {
                return try await start(completion)
            } catch let error as StoreError where error.kind == .unusable {
                // The challenge, the counter value or the mfa_token was used meanwhile: a replay.
                logger.notice("passkey assertion replayed", metadata: ["portcullis.account_id": "\(account.id)"])
                throw PasskeyRefusal.staleChallenge.error
            }
        }
    }

    /// The assertion checks of WebAuthn §7.2, steps 5 to 22; answers the new counter.
    private func check(
        _ response: AssertionResponse,
        of passkey: Passkey,
        mfaToken: String?,
        now: Date
    ) throws(PasskeyRefusal) -> (signCount: UInt32, expiry: Date, challenge: [UInt8]) {
        guard response.type == "public-key", response.rawId == response.id else { throw .malformed("type or rawId") }
        // Without an mfa_token nobody was identified beforehand: the user handle must say who
        // (WebAuthn §7.2 step 6), and it must be the passkey's account either way.
        if let handle = response.response.userHandle, !handle.isEmpty {
            guard Base64.decode(handle) == Array(passkey.accountID.utf8) else { throw .unknownCredential }
        } else if mfaToken == nil {
            throw .malformed("a discoverable sign-in without a user handle")
        }
        let clientData = try CollectedClientData.check(response.response.clientDataJSON, type: "webauthn.get", relyingParty: relyingParty)
        guard let expiry = challenges.expiry(of: clientData.challenge, for: .signIn, binding: Self.binding(mfaToken), now: now) else {
            throw .staleChallenge
        }
        guard response.response.authenticatorData.utf8.count <= 4096, let dataBytes = Base64.decode(response.response.authenticatorData),
            let signature = Base64.decode(response.response.signature), signature.count <= 1024
        else { throw .malformed("authenticatorData or signature") }
        let data: AuthenticatorData
        do {
            data = try AuthenticatorData(dataBytes)
        } catch {
            throw .malformed("authenticator data: \(error)")
        }
        guard ConstantTime.equals(data.relyingPartyIDHash, Array(SHA256.hash(data: Array(relyingParty.id.utf8)))) else { throw .wrongRelyingParty }
        guard data.userPresent, data.userVerified else { throw .userNotVerified }
        let key: COSEKey
        do {
            key = try COSEKey(cbor: passkey.publicKey)
        } catch {
            throw .unsupported("the stored key: \(error)")
        }
        guard key.isValidSignature(signature, for: dataBytes + Array(SHA256.hash(data: clientData.bytes))) else { throw .badSignature }
        if data.signCount != 0 || passkey.signCount != 0, data.signCount <= passkey.signCount {
            throw .signCountRegressed(stored: passkey.signCount, presented: data.signCount)
        }
        return (data.signCount, expiry, clientData.challenge)
    }

    /// The usable second-step challenge `token`.
    private func secondStep(_ token: String) async throws -> OneTimeToken {
        guard let challenge = try await SecondFactorSignIn.usableChallenge(token, in: store, at: clock.now) else {
            throw PortcullisError.invalidChallenge
        }
        return challenge
    }

    /// What a sign-in challenge is bound to: the second step's token, or nothing.
    private static func binding(_ mfaToken: String?) -> String {
        mfaToken.map { Base64.encode(SecondFactorSignIn.hash($0)) } ?? ""
    }
}
