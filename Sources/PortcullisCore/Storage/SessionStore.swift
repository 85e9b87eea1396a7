#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where browser sessions live, keyed by the hash of their secret. New sessions are stored with
/// ``StoreWrite/insertSession(_:)``.
public protocol SessionStore: Sendable {
    /// The session whose secret hashes to `secretHash`.
    func session(secretHash: [UInt8]) async throws -> Session?

    /// The session whose secret hashes to `secretHash`, with its account, in one read: what a
    /// request with a session cookie needs when the session cache cannot answer.
    func sessionWithAccount(secretHash: [UInt8]) async throws -> (session: Session, account: Account)?

    /// Up to `limit` sessions last seen at or after `since`, each with its account, ordered by
    /// `lastSeenAt` then `id`, both descending, starting after `last` (the last session of the
    /// previous page) when given: what the session cache loads, page by page, when an instance starts.
    func sessionsWithAccounts(seenSince since: Date, after last: Session?, limit: Int) async throws -> [(session: Session, account: Account)]

    /// The session with this public id.
    func session(id: String) async throws -> Session?

    /// Every stored session of the account (expired ones included until swept), newest first.
    func sessions(accountID: String) async throws -> [Session]

    /// Records that the session was used at `lastSeenAt`.
    func touchSession(id: String, lastSeenAt: Date) async throws

    /// Deletes one session that has expired (ending a live one goes through
    /// ``StoreWrite/endAccess(_:)``, which publishes it). - Returns: whether it existed.
    func deleteSession(id: String) async throws -> Bool

    /// Deletes sessions whose idle or absolute lifetime ended before `now`. - Returns: how many.
    func deleteExpiredSessions(now: Date) async throws -> Int
}

/// Everything Portcullis persists, plus the store's own life cycle.
///
/// Each capability is its own small protocol, so each backend states exactly what it implements.
public protocol PortcullisStore: AccountStore, CredentialStore, SessionStore, SigningKeyStore, RefreshTokenStore, RevocationStore,
    WriteStore, OneTimeTokenStore, MailOutboxStore, ClientStore, SecondFactorStore
{
    /// Where the credential throttle counts attempts: in the database when it is shared by several
    /// instances (PostgreSQL), in this process otherwise.
    var attemptLedger: any AttemptLedger { get }

    /// Creates or upgrades the schema; idempotent.
    func migrate() async throws

    /// Throws unless the store answers a trivial query (for `/readyz`).
    func checkHealth() async throws

    /// Releases connections. The store is unusable afterwards.
    func close() async throws
}
