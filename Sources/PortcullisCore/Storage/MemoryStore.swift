import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A store that keeps everything in memory: for unit tests and throwaway runs.
///
/// Lost when the process ends. Time never enters it: callers pass `now`, so expiry is tested
/// with a ``WallClock`` that tests move by hand. An actor, so every method is atomic; a
/// ``WriteStore/apply(_:stamp:)`` that fails part-way puts everything back as it was.
public actor MemoryStore: PortcullisStore {
    /// Everything the store holds, one value so a failed write can be rolled back wholesale.
    private struct State {
        var accounts: [String: Account] = [:]
        var accountIDsByEmail: [String: String] = [:]
        var passwordHashes: [String: String] = [:]
        var sessionsByID: [String: Session] = [:]
        var sessionIDsByHash: [[UInt8]: String] = [:]
        var signingKeysByKid: [String: StoredSigningKey] = [:]
        var families: [String: RefreshFamily] = [:]
        var refreshTokens: [[UInt8]: (familyID: String, rotatedAt: Date?)] = [:]
        var revocationLog: [Revocation] = []
        var lastCursor: Int64 = 0
        var clients: [String: ServiceClient] = [:]
        var oneTimeTokens: [[UInt8]: OneTimeToken] = [:]
        var outbox: [String: (mail: OutboxMail, claimedUntil: Date?, finishedAt: Date?)] = [:]
        var totpCredentials: [String: TOTPCredential] = [:]
        /// Recovery-code hashes by account, each with when it was used.
        var recoveryCodes: [String: [[UInt8]: Date?]] = [:]
        var passkeys: [String: Passkey] = [:]
    }

    private var state = State()

    /// Counts of this process: a memory store is never shared.
    public nonisolated let attemptLedger: any AttemptLedger = MemoryAttemptLedger()

    /// An empty store.
    public init() {}

    public func migrate() async throws {}
    public func checkHealth() async throws {}
    public func close() async throws {}

    // MARK: Accounts and credentials

    public func insertAccount(_ account: Account, passwordHash: String) async throws {
        guard state.accountIDsByEmail[account.email] == nil, state.accounts[account.id] == nil else { throw StoreError.duplicate }
        state.accounts[account.id] = account
        state.accountIDsByEmail[account.email] = account.id
        state.passwordHashes[account.id] = passwordHash
    }

    public func account(id: String) async throws -> Account? { state.accounts[id] }

    public func account(email: String) async throws -> Account? {
        state.accountIDsByEmail[email].flatMap { state.accounts[$0] }
    }

    public func allAccounts() async throws -> [Account] {
        state.accounts.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account? {
        guard var account = state.accounts[id] else { return nil }
        let seconds = Date(epochSeconds: now.epochSeconds)
        if let roles = change.roles { account.roles = roles }
        if let disabled = change.disabled { account.disabledAt = disabled ? account.disabledAt ?? seconds : nil }
        if change.emailVerified == true { account.emailVerifiedAt = account.emailVerifiedAt ?? seconds }
        state.accounts[id] = account
        return account
    }

    public func passwordHash(accountID: String) async throws -> String? { state.passwordHashes[accountID] }

    // MARK: Sessions

    public func session(secretHash: [UInt8]) async throws -> Session? {
        state.sessionIDsByHash[secretHash].flatMap { state.sessionsByID[$0] }
    }

    public func sessionWithAccount(secretHash: [UInt8]) async throws -> (session: Session, account: Account)? {
        guard let session = state.sessionIDsByHash[secretHash].flatMap({ state.sessionsByID[$0] }),
            let account = state.accounts[session.accountID]
        else { return nil }
        return (session, account)
    }

    public func sessionsWithAccounts(seenSince since: Date, after last: Session?, limit: Int) async throws -> [(session: Session, account: Account)] {
        let recent = state.sessionsByID.values
            .filter { session in
                session.lastSeenAt >= since && last.map { (session.lastSeenAt, session.id) < ($0.lastSeenAt, $0.id) } ?? true
            }
            .sorted { ($0.lastSeenAt, $0.id) > ($1.lastSeenAt, $1.id) }
        return recent.prefix(max(0, limit)).compactMap { session in state.accounts[session.accountID].map { (session, $0) } }
    }

    public func session(id: String) async throws -> Session? { state.sessionsByID[id] }

    public func sessions(accountID: String) async throws -> [Session] {
        state.sessionsByID.values.filter { $0.accountID == accountID }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func touchSession(id: String, lastSeenAt: Date) async throws {
        state.sessionsByID[id]?.lastSeenAt = lastSeenAt
    }

    public func deleteSession(id: String) async throws -> Bool { removeSession(id) }

    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let ids = state.sessionsByID.values.filter { $0.isExpired(at: now) }.map(\.id)
        for id in ids { removeSession(id) }
        return ids.count
    }

    @discardableResult
    private func removeSession(_ id: String) -> Bool {
        guard let session = state.sessionsByID.removeValue(forKey: id) else { return false }
        state.sessionIDsByHash[session.secretHash] = nil
        return true
    }

    // MARK: Signing keys

    public func insertSigningKey(_ key: StoredSigningKey) async throws {
        guard state.signingKeysByKid[key.kid] == nil else { throw StoreError.duplicate }
        state.signingKeysByKid[key.kid] = key
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        state.signingKeysByKid.values.sorted { ($0.createdAt, $0.kid) < ($1.createdAt, $1.kid) }
    }

    public func rotateSigningKeys(
        adding key: StoredSigningKey,
        retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]
    ) async throws {
        guard state.signingKeysByKid[key.kid] == nil else { throw StoreError.duplicate }
        for retired in retire(try await signingKeys()) where state.signingKeysByKid[retired.kid] != nil {
            state.signingKeysByKid[retired.kid] = retired
        }
        state.signingKeysByKid[key.kid] = key
    }

    // MARK: Refresh families

    public func useRefreshToken(
        hash: [UInt8],
        successorHash: [UInt8],
        now: Date,
        grace: Duration,
        revocation: RevocationStamp
    ) async throws -> RefreshTokenUse {
        guard let token = state.refreshTokens[hash], var family = state.families[token.familyID], family.isLive(at: now) else { return .invalid }
        guard let rotatedAt = token.rotatedAt else {
            state.refreshTokens[hash] = (family.id, now)
            state.refreshTokens[successorHash] = (family.id, nil)
            family.lastUsedAt = now
            state.families[family.id] = family
            return .rotated(family)
        }
        if now.timeIntervalSince(rotatedAt) <= grace.timeInterval { return .replayedWithinGrace(family) }
        family.revokedAt = now
        state.families[family.id] = family
        append(revocation.entry(.session, id: family.id))
        return .reused(family)
    }

    public func refreshFamily(id: String) async throws -> RefreshFamily? { state.families[id] }

    public func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)? {
        guard let token = state.refreshTokens[hash], let family = state.families[token.familyID] else { return nil }
        return (family, token.rotatedAt)
    }

    public func refreshFamilies(accountID: String) async throws -> [RefreshFamily] {
        state.families.values.filter { $0.accountID == accountID && $0.revokedAt == nil }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func deleteEndedRefreshFamilies(now: Date) async throws -> Int {
        let ended = Set(state.families.values.filter { !$0.isLive(at: now) }.map(\.id))
        state.families = state.families.filter { !ended.contains($0.key) }
        state.refreshTokens = state.refreshTokens.filter { !ended.contains($0.value.familyID) }
        return ended.count
    }

    // MARK: Revocations

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        append(entry)
    }

    public func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        Array(state.revocationLog.filter { $0.cursor > cursor && $0.expiresAt > now }.prefix(limit))
    }

    public func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        state.revocationLog.contains { entry in
            switch entry.kind {
            case .token: entry.id == tokenID
            case .session: entry.id == sessionID
            case .user: entry.id == accountID && issuedAt <= entry.revokedAt
            }
        }
    }

    public func latestUserRevocation(accountID: String) async throws -> Date? {
        state.revocationLog.filter { $0.kind == .user && $0.id == accountID }.map(\.revokedAt).max()
    }

    public func deleteExpiredRevocations(now: Date) async throws -> Int {
        let before = state.revocationLog.count
        state.revocationLog.removeAll { $0.expiresAt <= now }
        return before - state.revocationLog.count
    }

    /// Appends unless already held (the same `session` or `token` id, or a `user` entry at least as recent).
    @discardableResult
    private func append(_ entry: Revocation) -> Revocation {
        if let held = state.revocationLog.last(where: {
            $0.kind == entry.kind && $0.id == entry.id && ($0.kind != .user || $0.revokedAt >= entry.revokedAt)
        }) {
            return held
        }
        state.lastCursor += 1
        let stored = Revocation(cursor: state.lastCursor, kind: entry.kind, id: entry.id, revokedAt: entry.revokedAt, expiresAt: entry.expiresAt)
        state.revocationLog.append(stored)
        return stored
    }

    // MARK: Atomic writes

    public func apply(_ writes: [StoreWrite], stamp: RevocationStamp) async throws -> AppliedWrites {
        let saved = state
        do {
            var applied = AppliedWrites()
            for write in writes { try await perform(write, stamp: stamp, into: &applied) }
            return applied
        } catch {
            state = saved
            throw error
        }
    }

    private func perform(_ write: StoreWrite, stamp: RevocationStamp, into applied: inout AppliedWrites) async throws {
        let now = stamp.revokedAt
        switch write {
        case .requireCredential(let accountID, let passwordHash):
            guard state.accounts[accountID]?.isDisabled == false, state.passwordHashes[accountID] == passwordHash else {
                throw StoreError(.changed)
            }
        case .insertAccount(let account, let hash):
            try await insertAccount(account, passwordHash: hash)
            applied.account = account
        case .setPasswordHash(let accountID, let hash):
            guard state.accounts[accountID] != nil else { return }
            state.passwordHashes[accountID] = hash
        case .insertSession(let session):
            guard state.sessionsByID[session.id] == nil, state.sessionIDsByHash[session.secretHash] == nil else { throw StoreError.duplicate }
            state.sessionsByID[session.id] = session
            state.sessionIDsByHash[session.secretHash] = session.id
        case .insertRefreshFamily(let family, let firstTokenHash):
            guard state.families[family.id] == nil, state.refreshTokens[firstTokenHash] == nil else { throw StoreError.duplicate }
            state.families[family.id] = family
            state.refreshTokens[firstTokenHash] = (family.id, nil)
        case .changeAccount(let id, let change):
            applied.account = try await changeAccount(id: id, change, at: now)
        case .endAccess(let scope):
            endAccess(scope, stamp: stamp, into: &applied)
        case .insertOneTimeToken(let token):
            guard state.oneTimeTokens[token.hash] == nil else { throw StoreError.duplicate }
            state.oneTimeTokens[token.hash] = token
        case .useOneTimeToken(let hash, let purpose):
            guard let token = state.oneTimeTokens[hash], token.purpose == purpose, token.isUsable(at: now) else { throw StoreError(.unusable) }
            state.oneTimeTokens[hash] = token.used(at: now)
            applied.usedToken = token
        case .spendOneTimeToken(let token):
            guard state.oneTimeTokens[token.hash] == nil else { throw StoreError(.unusable) }
            state.oneTimeTokens[token.hash] = token.used(at: now)
        case .retireOneTimeTokens(let accountID, let purpose):
            for (hash, token) in state.oneTimeTokens where token.accountID == accountID && token.purpose == purpose && token.usedAt == nil {
                state.oneTimeTokens[hash] = token.used(at: now)
            }
        case .enqueueMail(let mail):
            guard state.outbox[mail.id] == nil else { throw StoreError.duplicate }
            state.outbox[mail.id] = (mail, nil, nil)
        case .beginTOTP(let credential):
            guard state.totpCredentials[credential.accountID]?.isConfirmed != true else { throw StoreError.duplicate }
            state.totpCredentials[credential.accountID] = credential
        case .confirmTOTP(let accountID, let sealedKey, let step):
            guard let pending = state.totpCredentials[accountID], !pending.isConfirmed, pending.sealedKey == sealedKey else {
                throw StoreError(.unusable)
            }
            state.totpCredentials[accountID] = TOTPCredential(
                accountID: accountID,
                sealedKey: pending.sealedKey,
                createdAt: pending.createdAt,
                confirmedAt: now,
                lastUsedStep: step
            )
        case .useTOTPStep(let accountID, let sealedKey, let step):
            guard let credential = state.totpCredentials[accountID], credential.isConfirmed, credential.sealedKey == sealedKey,
                (credential.lastUsedStep ?? .min) < step
            else { throw StoreError(.unusable) }
            state.totpCredentials[accountID] = TOTPCredential(
                accountID: accountID,
                sealedKey: credential.sealedKey,
                createdAt: credential.createdAt,
                confirmedAt: credential.confirmedAt,
                lastUsedStep: step
            )
        case .requireNoSecondFactor(let accountID):
            guard state.totpCredentials[accountID]?.isConfirmed != true, !state.passkeys.values.contains(where: { $0.accountID == accountID })
            else { throw StoreError(.changed) }
        case .requireSecondFactor(let accountID):
            guard state.totpCredentials[accountID]?.isConfirmed == true || state.passkeys.values.contains(where: { $0.accountID == accountID })
            else { throw StoreError(.changed) }
        case .insertPasskey(let passkey):
            guard state.passkeys[passkey.id] == nil else { throw StoreError.duplicate }
            state.passkeys[passkey.id] = passkey
        case .usePasskey(let id, let accountID, let signCount, let newSignCount):
            guard let passkey = state.passkeys[id], passkey.accountID == accountID, passkey.signCount == signCount,
                state.accounts[accountID]?.isDisabled == false
            else { throw StoreError(.unusable) }
            state.passkeys[id] = passkey.used(signCount: newSignCount, at: now)
        case .renamePasskey(let id, let accountID, let name):
            guard let passkey = state.passkeys[id], passkey.accountID == accountID else { throw StoreError(.unusable) }
            state.passkeys[id] = passkey.renamed(name)
        case .removePasskey(let id, let accountID):
            guard state.passkeys[id]?.accountID == accountID else { throw StoreError(.unusable) }
            state.passkeys[id] = nil
        case .removeTOTP(let accountID):
            state.totpCredentials[accountID] = nil
            state.recoveryCodes[accountID] = nil
        case .replaceRecoveryCodes(let accountID, let hashes):
            state.recoveryCodes[accountID] = Dictionary(hashes.map { ($0, Date?.none) }, uniquingKeysWith: { first, _ in first })
        case .useRecoveryCode(let accountID, let hash):
            guard case .some(.none) = state.recoveryCodes[accountID]?[hash] else { throw StoreError(.unusable) }
            state.recoveryCodes[accountID]?[hash] = .some(now)
        }
    }

    // MARK: Second factors

    public func totpCredential(accountID: String) async throws -> TOTPCredential? { state.totpCredentials[accountID] }

    public func unusedRecoveryCodeCount(accountID: String) async throws -> Int {
        state.recoveryCodes[accountID]?.values.filter { $0 == nil }.count ?? 0
    }

    public func passkeys(accountID: String) async throws -> [Passkey] {
        state.passkeys.values.filter { $0.accountID == accountID }.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func passkey(id: String) async throws -> Passkey? { state.passkeys[id] }

    private func endAccess(_ scope: AccessScope, stamp: RevocationStamp, into applied: inout AppliedWrites) {
        switch scope {
        case .session(let id, let owner):
            guard let session = state.sessionsByID[id], owner.map({ $0 == session.accountID }) ?? true else { return }
            removeSession(id)
            applied.sessionIDs.append(id)
            applied.revocations.append(append(stamp.entry(.session, id: id)))
        case .refreshFamily(let id, let owner):
            guard var family = state.families[id], family.revokedAt == nil, owner.map({ $0 == family.accountID }) ?? true else { return }
            family.revokedAt = stamp.revokedAt
            state.families[id] = family
            applied.familyIDs.append(id)
            applied.revocations.append(append(stamp.entry(.session, id: id)))
        case .account(let id, let kept):
            let sessionIDs = state.sessionsByID.values.filter { $0.accountID == id && $0.id != kept }.map(\.id).sorted()
            for sessionID in sessionIDs { removeSession(sessionID) }
            let familyIDs = state.families.values.filter { $0.accountID == id && $0.revokedAt == nil }.map(\.id).sorted()
            for familyID in familyIDs { state.families[familyID]?.revokedAt = stamp.revokedAt }
            for ended in sessionIDs + familyIDs { applied.revocations.append(append(stamp.entry(.session, id: ended))) }
            applied.revocations.append(append(stamp.entry(.user, id: id)))
            applied.sessionIDs += sessionIDs
            applied.familyIDs += familyIDs
            applied.account = state.accounts[id]
        }
    }

    // MARK: One-time tokens and the outbox

    public func oneTimeToken(hash: [UInt8]) async throws -> OneTimeToken? { state.oneTimeTokens[hash] }

    public func deleteExpiredOneTimeTokens(now: Date) async throws -> Int {
        let expired = state.oneTimeTokens.filter { $0.value.expiresAt <= now }.map(\.key)
        for hash in expired { state.oneTimeTokens[hash] = nil }
        return expired.count
    }

    public func claimMail(now: Date, lease: Duration, limit: Int) async throws -> [OutboxMail] {
        let due = state.outbox.values
            .filter { $0.finishedAt == nil && $0.mail.nextAttemptAt <= now && ($0.claimedUntil.map { $0 <= now } ?? true) }
            .map(\.mail)
            .sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            .prefix(limit)
        for mail in due { state.outbox[mail.id]?.claimedUntil = now.addingTimeInterval(lease.timeInterval) }
        return Array(due)
    }

    public func markMailSent(id: String, at now: Date) async throws {
        guard let entry = state.outbox[id] else { return }
        state.outbox[id] = (
            OutboxMail(
                id: id,
                sealedContent: [],
                createdAt: entry.mail.createdAt,
                attempts: entry.mail.attempts,
                nextAttemptAt: entry.mail.nextAttemptAt
            ), nil, now
        )
    }

    public func markMailFailed(id: String, at now: Date, nextAttemptAt: Date, giveUp: Bool) async throws {
        guard let entry = state.outbox[id] else { return }
        let mail = OutboxMail(
            id: id,
            sealedContent: giveUp ? [] : entry.mail.sealedContent,
            createdAt: entry.mail.createdAt,
            attempts: entry.mail.attempts + 1,
            nextAttemptAt: nextAttemptAt
        )
        state.outbox[id] = (mail, nil, giveUp ? now : nil)
    }

    public func pendingMailCount() async throws -> Int {
        state.outbox.values.filter { $0.finishedAt == nil }.count
    }

    public func deleteFinishedMail(before cutoff: Date) async throws -> Int {
        let finished = state.outbox.filter { $0.value.finishedAt.map { $0 < cutoff } ?? false }.map(\.key)
        for id in finished { state.outbox[id] = nil }
        return finished.count
    }

    // MARK: Service clients

    public func insertClient(_ client: ServiceClient) async throws {
        guard state.clients[client.id] == nil else { throw StoreError.duplicate }
        state.clients[client.id] = client
    }

    public func client(id: String) async throws -> ServiceClient? { state.clients[id] }
}
