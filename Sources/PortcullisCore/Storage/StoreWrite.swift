#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Applies several writes as one transaction: all of them or none.
///
/// Every use case that changes more than one thing goes through here, so no crash can leave half
/// of it: a reset that set the password but kept the sessions, a sign-out that ended sessions but
/// lost their revocation, a registration whose verification mail was never queued. Each backend
/// implements each kind of write once; Core composes them.
public protocol WriteStore: Sendable {
    /// Applies `writes` in order, in one transaction. Times are `stamp.revokedAt` (whole seconds);
    /// revocation entries carry `stamp`. List ``StoreWrite/endAccess(_:)`` last: publishing takes
    /// the revocation log's lock until the commit, and nothing should wait behind it.
    /// - Throws: ``StoreError`` `unusable` when a ``StoreWrite/useOneTimeToken(hash:purpose:)``
    ///   finds no usable token, `changed` when a ``StoreWrite/requireCredential(accountID:passwordHash:)``
    ///   does not hold (nothing is written either way), `duplicate` for a taken email or id.
    func apply(_ writes: [StoreWrite], stamp: RevocationStamp) async throws -> AppliedWrites
}

/// One write of a ``WriteStore/apply(_:stamp:)``.
public enum StoreWrite: Sendable, Hashable {
    /// A condition, not a change: unless the account is enabled and its password hash is still
    /// `passwordHash`, the whole transaction fails with ``StoreError`` `changed`. List it first.
    /// On a shared store it holds the account and its credential until the commit, so a password
    /// reset or change (or a disable) running at the same time either commits first, and this
    /// transaction fails, or waits for it, and then ends what it started.
    ///
    /// A sign-in writes its session or refresh family under this condition, with the hash its
    /// password was checked against: a sign-in with the old password that is still in flight when
    /// a reset commits cannot leave a session behind.
    case requireCredential(accountID: String, passwordHash: String)
    /// Creates an account with its first password hash.
    case insertAccount(Account, passwordHash: String)
    /// Replaces an account's password hash.
    case setPasswordHash(accountID: String, hash: String)
    /// Stores a new browser session.
    case insertSession(Session)
    /// Stores a new refresh family with (the hash of) its first refresh token.
    case insertRefreshFamily(RefreshFamily, firstTokenHash: [UInt8])
    /// Changes only the fields `change` names.
    case changeAccount(id: String, AccountChange)
    /// Ends what the scope names and publishes it on the revocation log (see ``AccessScope``).
    case endAccess(AccessScope)
    /// Stores a one-time token (its hash).
    case insertOneTimeToken(OneTimeToken)
    /// Uses a one-time token: unless it exists with this purpose, unused and unexpired, the whole
    /// transaction fails with ``StoreError`` `unusable`.
    case useOneTimeToken(hash: [UInt8], purpose: OneTimeToken.Purpose)
    /// Stores `token` as already used, to mark a stateless challenge spent: unless no token with
    /// its hash is stored, the whole transaction fails with ``StoreError`` `unusable`.
    case spendOneTimeToken(OneTimeToken)
    /// Ends every unused token of the account with this purpose (a reset or a password change
    /// invalidates the other reset links).
    case retireOneTimeTokens(accountID: String, purpose: OneTimeToken.Purpose)
    /// Queues a message in the outbox.
    case enqueueMail(OutboxMail)
    /// Starts an authenticator-app enrolment: stores a pending key, replacing a pending one. Fails
    /// with ``StoreError`` `duplicate` when the account already has a confirmed key.
    case beginTOTP(TOTPCredential)
    /// Confirms the pending key `sealedKey` (the one the first code was checked against) with the
    /// code's step, which counts as used. Fails with ``StoreError`` `unusable` unless that key is
    /// pending. Like every change of factors, it holds the account until the commit (see
    /// ``requireNoSecondFactor(accountID:)``).
    case confirmTOTP(accountID: String, sealedKey: [UInt8], step: Int64)
    /// Accepts a code of `step` from the key `sealedKey`: unless the account has that key confirmed
    /// with an earlier last used step, the whole transaction fails with ``StoreError`` `unusable`,
    /// so a code works once even when presented twice at the same moment.
    case useTOTPStep(accountID: String, sealedKey: [UInt8], step: Int64)
    /// Registers a passkey. Fails with ``StoreError`` `duplicate` when its credential id is
    /// registered already (to any account). A change of factors, like ``confirmTOTP(accountID:sealedKey:step:)``.
    case insertPasskey(Passkey)
    /// Accepts a passkey's assertion: records its new signature counter and the time of use.
    /// Unless the passkey is the account's, still holds counter `signCount`, and the account is
    /// enabled, the whole transaction fails with ``StoreError`` `unusable`; on a shared store it
    /// holds the account until the commit, as ``requireCredential(accountID:passwordHash:)`` does.
    case usePasskey(id: String, accountID: String, signCount: UInt32, newSignCount: UInt32)
    /// Renames a passkey; fails with ``StoreError`` `unusable` unless it is the account's.
    case renamePasskey(id: String, accountID: String, name: String)
    /// Removes a passkey; fails with ``StoreError`` `unusable` unless it is the account's. A
    /// change of factors.
    case removePasskey(id: String, accountID: String)
    /// A condition, not a change: unless the account has no confirmed second factor (an
    /// authenticator app or a passkey), the whole transaction fails with ``StoreError`` `changed`. A password-only sign-in stores its session
    /// or refresh family under it, after ``requireCredential(accountID:passwordHash:)``: on a
    /// shared store, turning a factor on at the same moment either commits first (and the sign-in
    /// fails) or waits for the sign-in and then ends what it started.
    case requireNoSecondFactor(accountID: String)
    /// A condition, not a change: unless the account has a confirmed second factor (an
    /// authenticator app or a passkey), the whole transaction fails with ``StoreError`` `changed`.
    /// A removal that may not take the last factor lists it after the removal.
    case requireSecondFactor(accountID: String)
    /// Deletes the account's key and its recovery codes.
    case removeTOTP(accountID: String)
    /// Replaces the account's recovery codes with these hashes (``RecoveryCodes/hash(_:)``).
    case replaceRecoveryCodes(accountID: String, hashes: [[UInt8]])
    /// Uses a recovery code: unless it is the account's and unused, the whole transaction fails
    /// with ``StoreError`` `unusable`.
    case useRecoveryCode(accountID: String, hash: [UInt8])
}

/// What a ``WriteStore/apply(_:stamp:)`` did.
public struct AppliedWrites: Sendable {
    /// The sessions ended.
    public var sessionIDs: [String] = []
    /// The refresh families revoked.
    public var familyIDs: [String] = []
    /// The account as the last write touching it left it (`nil` if there is none).
    public var account: Account?
    /// The revocation entries appended (or already held).
    public var revocations: [Revocation] = []
    /// The one-time token used, as it was before.
    public var usedToken: OneTimeToken?

    /// Nothing yet.
    public init() {}

    /// Whether a session or family ended.
    public var endedAnything: Bool { !sessionIDs.isEmpty || !familyIDs.isEmpty }
}
