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
    private var clients: [String: ServiceClient] = [:]

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

    public func updateAccount(_ account: Account) async throws -> Bool {
        guard let existing = accounts[account.id] else { return false }
        var updated = existing
        updated.roles = account.roles
        updated.disabledAt = account.disabledAt
        accounts[account.id] = updated
        return true
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

    public func deleteSessions(accountID: String) async throws -> [String] {
        let ids = sessionsByID.values.filter { $0.accountID == accountID }.map(\.id)
        for id in ids { _ = try await deleteSession(id: id) }
        return ids
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

    public func updateSigningKey(_ key: StoredSigningKey) async throws {
        guard signingKeysByKid[key.kid] != nil else { return }
        signingKeysByKid[key.kid] = key
    }

    // MARK: Refresh families

    public func insertRefreshFamily(_ family: RefreshFamily, firstTokenHash: [UInt8]) async throws {
        guard families[family.id] == nil, refreshTokens[firstTokenHash] == nil else { throw StoreError.duplicate }
        families[family.id] = family
        refreshTokens[firstTokenHash] = (family.id, nil)
    }

    public func useRefreshToken(hash: [UInt8], successorHash: [UInt8], now: Date, grace: Duration) async throws -> RefreshTokenUse {
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

    public func revokeRefreshFamily(id: String, at time: Date) async throws -> Bool {
        guard var family = families[id], family.revokedAt == nil else { return false }
        family.revokedAt = time
        families[id] = family
        return true
    }

    public func revokeRefreshFamilies(accountID: String, at time: Date) async throws -> [String] {
        let ids = families.values.filter { $0.accountID == accountID && $0.revokedAt == nil }.map(\.id)
        for id in ids { _ = try await revokeRefreshFamily(id: id, at: time) }
        return ids.sorted()
    }

    // MARK: Revocations

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        let stored = Revocation(cursor: Int64(revocationLog.count + 1), kind: entry.kind, id: entry.id, revokedAt: entry.revokedAt, expiresAt: entry.expiresAt)
        revocationLog.append(stored)
        return stored
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

    // MARK: Service clients

    public func insertClient(_ client: ServiceClient) async throws {
        guard clients[client.id] == nil else { throw StoreError.duplicate }
        clients[client.id] = client
    }

    public func client(id: String) async throws -> ServiceClient? { clients[id] }
}
