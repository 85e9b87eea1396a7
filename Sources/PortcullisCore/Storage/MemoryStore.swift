#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
import PortcullisTokens

/// A store that keeps everything in memory: for unit tests and throwaway runs.
///
/// Lost when the process ends. Time never enters it: callers pass `now`, so expiry is tested
/// with a ``WallClock`` that tests move by hand.
public actor MemoryStore: PortcullisStore {
    private var accounts: [String: Account] = [:]
    private var accountIDsByEmail: [String: String] = [:]
    private var passwordHashes: [String: String] = [:]
    private var sessionsByID: [String: Session] = [:]
    private var sessionIDsByHash: [[UInt8]: String] = [:]
    private var signingKeysByKid: [String: StoredSigningKey] = [:]
    private var families: [String: RefreshFamily] = [:]
    private var refreshTokens: [[UInt8]: (familyID: String, rotatedAt: Date?)] = [:]
    private var revocationLog: [Revocation] = []
    private var lastCursor: Int64 = 0
    private var clients: [String: ServiceClient] = [:]

    /// Counts of this process: a memory store is never shared.
    public nonisolated let attemptLedger: any AttemptLedger = MemoryAttemptLedger()

    /// An empty store.
    public init() {}

    public func migrate() async throws {}
    public func checkHealth() async throws {}
    public func close() async throws {}

    // MARK: Accounts and credentials

    public func insertAccount(_ account: Account, passwordHash: String) async throws {
        guard accountIDsByEmail[account.email] == nil, accounts[account.id] == nil else { throw StoreError.duplicate }
        accounts[account.id] = account
        accountIDsByEmail[account.email] = account.id
        passwordHashes[account.id] = passwordHash
    }

    public func account(id: String) async throws -> Account? { accounts[id] }

    public func account(email: String) async throws -> Account? {
        accountIDsByEmail[email].flatMap { accounts[$0] }
    }

    public func allAccounts() async throws -> [Account] {
        accounts.values.sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account? {
        guard var account = accounts[id] else { return nil }
        if let roles = change.roles { account.roles = roles }
        if let disabled = change.disabled { account.disabledAt = disabled ? account.disabledAt ?? Date(epochSeconds: now.epochSeconds) : nil }
        accounts[id] = account
        return account
    }

    public func passwordHash(accountID: String) async throws -> String? { passwordHashes[accountID] }

    public func setPasswordHash(_ hash: String, accountID: String) async throws {
        guard accounts[accountID] != nil else { return }
        passwordHashes[accountID] = hash
    }

    // MARK: Sessions

    public func insertSession(_ session: Session) async throws {
        guard sessionsByID[session.id] == nil, sessionIDsByHash[session.secretHash] == nil else { throw StoreError.duplicate }
        sessionsByID[session.id] = session
        sessionIDsByHash[session.secretHash] = session.id
    }

    public func session(secretHash: [UInt8]) async throws -> Session? {
        sessionIDsByHash[secretHash].flatMap { sessionsByID[$0] }
    }

    public func session(id: String) async throws -> Session? { sessionsByID[id] }

    public func sessions(accountID: String) async throws -> [Session] {
        sessionsByID.values.filter { $0.accountID == accountID }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func touchSession(id: String, lastSeenAt: Date) async throws {
        sessionsByID[id]?.lastSeenAt = lastSeenAt
    }

    public func deleteSession(id: String) async throws -> Bool {
        guard let session = sessionsByID.removeValue(forKey: id) else { return false }
        sessionIDsByHash[session.secretHash] = nil
        return true
    }

    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let ids = sessionsByID.values.filter { $0.isExpired(at: now) }.map(\.id)
        for id in ids { _ = try await deleteSession(id: id) }
        return ids.count
    }

    // MARK: Signing keys

    public func insertSigningKey(_ key: StoredSigningKey) async throws {
        guard signingKeysByKid[key.kid] == nil else { throw StoreError.duplicate }
        signingKeysByKid[key.kid] = key
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        signingKeysByKid.values.sorted { ($0.createdAt, $0.kid) < ($1.createdAt, $1.kid) }
    }

    public func rotateSigningKeys(adding key: StoredSigningKey, retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]) async throws {
        guard signingKeysByKid[key.kid] == nil else { throw StoreError.duplicate }
        for retired in retire(try await signingKeys()) where signingKeysByKid[retired.kid] != nil {
            signingKeysByKid[retired.kid] = retired
        }
        signingKeysByKid[key.kid] = key
    }

    // MARK: Refresh families

    public func insertRefreshFamily(_ family: RefreshFamily, firstTokenHash: [UInt8]) async throws {
        guard families[family.id] == nil, refreshTokens[firstTokenHash] == nil else { throw StoreError.duplicate }
        families[family.id] = family
        refreshTokens[firstTokenHash] = (family.id, nil)
    }

    public func useRefreshToken(hash: [UInt8], successorHash: [UInt8], now: Date, grace: Duration, revocation: RevocationStamp) async throws -> RefreshTokenUse {
        guard let token = refreshTokens[hash], var family = families[token.familyID], family.isLive(at: now) else { return .invalid }
        guard let rotatedAt = token.rotatedAt else {
            refreshTokens[hash] = (family.id, now)
            refreshTokens[successorHash] = (family.id, nil)
            family.lastUsedAt = now
            families[family.id] = family
            return .rotated(family)
        }
        if now.timeIntervalSince(rotatedAt) <= grace.timeInterval { return .replayedWithinGrace(family) }
        family.revokedAt = now
        families[family.id] = family
        append(revocation.entry(.session, id: family.id))
        return .reused(family)
    }

    public func refreshFamily(id: String) async throws -> RefreshFamily? { families[id] }

    public func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)? {
        guard let token = refreshTokens[hash], let family = families[token.familyID] else { return nil }
        return (family, token.rotatedAt)
    }

    public func refreshFamilies(accountID: String) async throws -> [RefreshFamily] {
        families.values.filter { $0.accountID == accountID && $0.revokedAt == nil }.sorted { ($0.createdAt, $0.id) > ($1.createdAt, $1.id) }
    }

    public func deleteEndedRefreshFamilies(now: Date) async throws -> Int {
        let ended = Set(families.values.filter { !$0.isLive(at: now) }.map(\.id))
        families = families.filter { !ended.contains($0.key) }
        refreshTokens = refreshTokens.filter { !ended.contains($0.value.familyID) }
        return ended.count
    }

    // MARK: Revocations

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        append(entry)
    }

    public func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        Array(revocationLog.filter { $0.cursor > cursor && $0.expiresAt > now }.prefix(limit))
    }

    public func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        revocationLog.contains { entry in
            switch entry.kind {
            case .token: entry.id == tokenID
            case .session: entry.id == sessionID
            case .user: entry.id == accountID && issuedAt <= entry.revokedAt
            }
        }
    }

    public func latestUserRevocation(accountID: String) async throws -> Date? {
        revocationLog.filter { $0.kind == .user && $0.id == accountID }.map(\.revokedAt).max()
    }

    public func deleteExpiredRevocations(now: Date) async throws -> Int {
        let before = revocationLog.count
        revocationLog.removeAll { $0.expiresAt <= now }
        return before - revocationLog.count
    }

    /// Appends unless already held (the same `session` or `token` id, or a `user` entry at least as recent).
    @discardableResult
    private func append(_ entry: Revocation) -> Revocation {
        if let held = revocationLog.last(where: { $0.kind == entry.kind && $0.id == entry.id && ($0.kind != .user || $0.revokedAt >= entry.revokedAt) }) {
            return held
        }
        lastCursor += 1
        let stored = Revocation(cursor: lastCursor, kind: entry.kind, id: entry.id, revokedAt: entry.revokedAt, expiresAt: entry.expiresAt)
        revocationLog.append(stored)
        return stored
    }

    // MARK: Ending access

    public func endAccess(_ scope: AccessScope, applying change: AccountChange?, stamp: RevocationStamp) async throws -> EndedAccess {
        switch scope {
        case .session(let id, let owner):
            guard let session = sessionsByID[id], owner.map({ $0 == session.accountID }) ?? true else { return .nothing }
            _ = try await deleteSession(id: id)
            return EndedAccess(sessionIDs: [id], familyIDs: [], account: nil, revocation: append(stamp.entry(.session, id: id)))
        case .refreshFamily(let id, let owner):
            guard var family = families[id], family.revokedAt == nil, owner.map({ $0 == family.accountID }) ?? true else { return .nothing }
            family.revokedAt = stamp.revokedAt
            families[id] = family
            return EndedAccess(sessionIDs: [], familyIDs: [id], account: nil, revocation: append(stamp.entry(.session, id: id)))
        case .account(let id):
            let account = try await changeAccount(id: id, change ?? AccountChange(), at: stamp.revokedAt)
            let sessionIDs = sessionsByID.values.filter { $0.accountID == id }.map(\.id).sorted()
            for sessionID in sessionIDs { _ = try await deleteSession(id: sessionID) }
            let familyIDs = families.values.filter { $0.accountID == id && $0.revokedAt == nil }.map(\.id).sorted()
            for familyID in familyIDs { families[familyID]?.revokedAt = stamp.revokedAt }
            for ended in sessionIDs + familyIDs { append(stamp.entry(.session, id: ended)) }
            return EndedAccess(sessionIDs: sessionIDs, familyIDs: familyIDs, account: account, revocation: append(stamp.entry(.user, id: id)))
        }
    }

    // MARK: Service clients

    public func insertClient(_ client: ServiceClient) async throws {
        guard clients[client.id] == nil else { throw StoreError.duplicate }
        clients[client.id] = client
    }

    public func client(id: String) async throws -> ServiceClient? { clients[id] }
}
