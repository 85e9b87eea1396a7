public import PortcullisCore
import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PostgresStore {
    public func insertAccount(_ account: Account, passwordHash: String) async throws {
        try await transaction { connection in try await Self.insert(account, passwordHash: passwordHash, on: connection, logger: self.logger) }
    }

    static func insert(_ account: Account, passwordHash: String, on connection: PostgresConnection, logger: Logger) async throws {
        let roles = account.roles.joined(separator: " ")
        let (created, disabled, verified) = (account.createdAt.epochSeconds, account.disabledAt?.epochSeconds, account.emailVerifiedAt?.epochSeconds)
        _ = try await connection.query(
            """
            INSERT INTO accounts (id, email, roles, created_at, disabled_at, email_verified_at)
            VALUES (\(account.id), \(account.email), \(roles), \(created), \(disabled), \(verified))
            """,
            logger: logger
        )
        _ = try await connection.query(
            "INSERT INTO password_credentials (account_id, phc, updated_at) VALUES (\(account.id), \(passwordHash), \(created))",
            logger: logger
        )
    }

    public func account(id: String) async throws -> Account? {
        try await rows("SELECT * FROM accounts WHERE id = \(id)").first.map(Self.account(from:))
    }

    public func account(email: String) async throws -> Account? {
        try await rows("SELECT * FROM accounts WHERE email = \(email)").first.map(Self.account(from:))
    }

    public func allAccounts() async throws -> [Account] {
        try await rows("SELECT * FROM accounts ORDER BY created_at, id").map(Self.account(from:))
    }

    public func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account? {
        try await transaction { connection in try await Self.apply(change, toAccount: id, at: now, on: connection, logger: self.logger) }
    }

    /// Applies `change` field by field (never writing a field it does not name), and reads the account back.
    static func apply(
        _ change: AccountChange,
        toAccount id: String,
        at now: Date,
        on connection: PostgresConnection,
        logger: Logger
    ) async throws -> Account? {
        if let roles = change.roles?.joined(separator: " ") {
            _ = try await connection.query("UPDATE accounts SET roles = \(roles) WHERE id = \(id)", logger: logger)
        }
        let seconds = now.epochSeconds
        switch change.disabled {
        case true?:
            _ = try await connection.query("UPDATE accounts SET disabled_at = COALESCE(disabled_at, \(seconds)) WHERE id = \(id)", logger: logger)
        case false?: _ = try await connection.query("UPDATE accounts SET disabled_at = NULL WHERE id = \(id)", logger: logger)
        case nil: break
        }
        if change.emailVerified == true {
            _ = try await connection.query(
                "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, \(seconds)) WHERE id = \(id)",
                logger: logger
            )
        }
        return try await rows("SELECT * FROM accounts WHERE id = \(id)", on: connection, logger: logger).first.map(account(from:))
    }

    public func passwordHash(accountID: String) async throws -> String? {
        try await rows("SELECT phc FROM password_credentials WHERE account_id = \(accountID)").first.map { try $0["phc"].decode(String.self) }
    }

    // MARK: Sessions

    public func session(secretHash: [UInt8]) async throws -> Session? {
        try await rows("SELECT * FROM sessions WHERE secret_hash = \(ByteBuffer(bytes: secretHash))").first.map(Self.session(from:))
    }

    public func sessionWithAccount(secretHash: [UInt8]) async throws -> (session: Session, account: Account)? {
        let hash = ByteBuffer(bytes: secretHash)
        return try await rows(
            "SELECT s.*, \(unescaped: Self.accountColumnsOfSession) FROM sessions s JOIN accounts a ON a.id = s.account_id WHERE s.secret_hash = \(hash)"
        )
        .first.map { (try Self.session(from: $0), try Self.account(from: $0, prefix: "account_")) }
    }

    public func sessionsWithAccounts(seenSince since: Date, after last: Session?, limit: Int) async throws -> [(session: Session, account: Account)] {
        let seen = since.epochSeconds
        // Without a previous page, a position after every row.
        let lastSeen = last?.lastSeenAt.epochSeconds ?? Int64.max
        let lastID = last?.id ?? ""
        let limit = max(0, limit)
        return try await rows(
            """
            SELECT s.*, \(unescaped: Self.accountColumnsOfSession) FROM sessions s JOIN accounts a ON a.id = s.account_id
            WHERE s.last_seen_at >= \(seen) AND (s.last_seen_at, s.id) < (\(lastSeen), \(lastID))
            ORDER BY s.last_seen_at DESC, s.id DESC LIMIT \(limit)
            """
        ).map { (try Self.session(from: $0), try Self.account(from: $0, prefix: "account_")) }
    }

    /// The joined account's columns, prefixed with `account_` (its id is the session's `account_id`).
    private static let accountColumnsOfSession = """
        a.email AS account_email, a.roles AS account_roles, a.created_at AS account_created_at, \
        a.disabled_at AS account_disabled_at, a.email_verified_at AS account_email_verified_at
        """

    public func session(id: String) async throws -> Session? {
        try await rows("SELECT * FROM sessions WHERE id = \(id)").first.map(Self.session(from:))
    }

    public func sessions(accountID: String) async throws -> [Session] {
        try await rows("SELECT * FROM sessions WHERE account_id = \(accountID) ORDER BY created_at DESC, id DESC").map(Self.session(from:))
    }

    public func touchSession(id: String, lastSeenAt: Date) async throws {
        let seen = lastSeenAt.epochSeconds
        _ = try await rows("UPDATE sessions SET last_seen_at = \(seen) WHERE id = \(id) AND last_seen_at < \(seen)")
    }

    public func deleteSession(id: String) async throws -> Bool {
        try await rows("DELETE FROM sessions WHERE id = \(id) RETURNING id").count == 1
    }

    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let seconds = now.epochSeconds
        return try await rows(
            "DELETE FROM sessions WHERE absolute_expires_at <= \(seconds) OR last_seen_at + idle_seconds <= \(seconds) RETURNING id"
        ).count
    }

    // MARK: Rows

    static func date(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date {
        Date(epochSeconds: try row[column].decode(Int64.self))
    }

    static func optionalDate(_ row: PostgresRandomAccessRow, _ column: String) throws -> Date? {
        try row[column].decode(Int64?.self).map { Date(epochSeconds: $0) }
    }

    static func bytes(_ row: PostgresRandomAccessRow, _ column: String) throws -> [UInt8] {
        Array(try row[column].decode(ByteBuffer.self).readableBytesView)
    }

    static func account(from row: PostgresRandomAccessRow) throws -> Account { try account(from: row, prefix: "") }

    /// The account in `row`, whose column names carry `prefix` (when joined to another table).
    static func account(from row: PostgresRandomAccessRow, prefix: String) throws -> Account {
        Account(
            id: try row[prefix + "id"].decode(String.self),
            email: try row[prefix + "email"].decode(String.self),
            roles: try row[prefix + "roles"].decode(String.self).split(separator: " ").map(String.init),
            createdAt: try date(row, prefix + "created_at"),
            disabledAt: try optionalDate(row, prefix + "disabled_at"),
            emailVerifiedAt: try optionalDate(row, prefix + "email_verified_at")
        )
    }

    static func session(from row: PostgresRandomAccessRow) throws -> Session {
        Session(
            id: try row["id"].decode(String.self),
            accountID: try row["account_id"].decode(String.self),
            secretHash: try bytes(row, "secret_hash"),
            createdAt: try date(row, "created_at"),
            lastSeenAt: try date(row, "last_seen_at"),
            idleTimeout: .seconds(try row["idle_seconds"].decode(Int64.self)),
            absoluteExpiry: try date(row, "absolute_expires_at"),
            remember: try row["remember"].decode(Bool.self),
            userAgent: try row["user_agent"].decode(String?.self),
            ipAddress: try row["ip"].decode(String?.self),
            authMethods: AuthenticationMethod.parse(column: try row["auth_methods"].decode(String.self))
        )
    }
}
