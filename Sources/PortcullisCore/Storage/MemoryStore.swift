#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

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
}
