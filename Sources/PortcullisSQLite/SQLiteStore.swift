public import Logging
public import PortcullisCore
import SQLiteNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Creates an empty file with mode 0600 if there is none, so SQLite never creates the database
/// with the process's default (usually world-readable) mode. - Returns: the mode of a file that
/// was already there, `nil` when this call created it.
private func createPrivately(_ path: String) throws -> Int? {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
    if descriptor >= 0 {
        close(descriptor)
        return nil
    }
    guard errno == EEXIST else { throw StoreError(.unavailable, backendMessage: "cannot create the database file \(path) (errno \(errno))") }
    return (try? FileManager.default.attributesOfItem(atPath: path))?[.posixPermissions] as? Int
}

/// The embedded store: one SQLite file in WAL mode, the default when no database is configured.
///
/// Writes go through one connection, one transaction at a time; reads use a second connection,
/// which WAL lets run beside a write. `synchronous=FULL` makes every acknowledged write durable,
/// even across a crash of the process or the machine. Several processes (the server and the
/// admin commands) may open the same file. A new database file is created readable by its owner
/// only (0600); SQLite gives its `-wal` and `-shm` files the same mode.
public final class SQLiteStore: PortcullisStore {
    private let writer: SQLiteConnection
    private let reader: SQLiteConnection
    private let writeLock = AsyncSemaphore(permits: 1)
    private let logger: Logger

    /// Throttle counts live in this process: one SQLite file serves one server instance.
    public let attemptLedger: any AttemptLedger = MemoryAttemptLedger()

    /// Opens (creating if needed) the database at `path`. Call ``migrate()`` before use.
    public static func open(
        path: String,
        logger: Logger = Logger(label: "portcullis.sqlite", factory: { _ in SwiftLogNoOpLogHandler() })
    ) async throws -> SQLiteStore {
        if let mode = try createPrivately(path), mode & 0o077 != 0 {
            logger.warning(
                "the database file is readable by its group or others: chmod 600 it",
                metadata: [
                    "portcullis.path": "\(path)", "portcullis.mode": "\(String(mode & 0o777, radix: 8))",
                ]
            )
        }
        do {
            let writer = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            // No busy timeout on the writer: ``transaction(_:)`` waits for another process's write
            // itself, a few milliseconds at a time (SQLite as built here would sleep whole seconds).
            for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=0"] {
                _ = try await writer.query(pragma)
            }
            let reader = try await SQLiteConnection.open(storage: .file(path: path), logger: logger)
            for pragma in ["PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000", "PRAGMA query_only=ON"] {
                _ = try await reader.query(pragma)
            }
            return SQLiteStore(writer: writer, reader: reader, logger: logger)
        } catch {
            throw StoreError(.unavailable, backendMessage: String(describing: error))
        }
    }

    private init(writer: SQLiteConnection, reader: SQLiteConnection, logger: Logger) {
        self.writer = writer
        self.reader = reader
        self.logger = logger
    }

    public func migrate() async throws {
        try await transaction { connection in
            _ = try await connection.query("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)")
            let rows = try await connection.query("SELECT COALESCE(MAX(version), 0) AS version FROM schema_migrations")
            let current = rows.first?.column("version")?.integer ?? 0
            for migration in SQLiteMigrations.all where migration.version > current {
                for statement in migration.statements {
                    _ = try await connection.query(statement)
                }
                _ = try await connection.query(
                    "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
                    [.integer(migration.version), .integer(Int(Date().epochSeconds))]
                )
                self.logger.info("migration applied", metadata: ["portcullis.schema_version": "\(migration.version)"])
            }
        }
    }

    public func checkHealth() async throws {
        _ = try await read("SELECT 1")
    }

    public func close() async throws {
        try await reader.close()
        try await writer.close()
    }

    // MARK: Accounts and credentials

    public func insertAccount(_ account: Account, passwordHash: String) async throws {
        try await transaction { connection in try await Self.insert(account, passwordHash: passwordHash, on: connection) }
    }

    static func insert(_ account: Account, passwordHash: String, on connection: SQLiteConnection) async throws {
        _ = try await connection.query(
            "INSERT INTO accounts (id, email, roles, created_at, disabled_at, email_verified_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                .text(account.id), .text(account.email), .text(encodeRoles(account.roles)),
                time(account.createdAt), optionalTime(account.disabledAt), optionalTime(account.emailVerifiedAt),
            ]
        )
        _ = try await connection.query(
            "INSERT INTO password_credentials (account_id, phc, updated_at) VALUES (?, ?, ?)",
            [.text(account.id), .text(passwordHash), time(account.createdAt)]
        )
    }

    public func account(id: String) async throws -> Account? {
        try await read("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(Self.account(from:))
    }

    public func account(email: String) async throws -> Account? {
        try await read("SELECT * FROM accounts WHERE email = ?", [.text(email)]).first.map(Self.account(from:))
    }

    public func allAccounts() async throws -> [Account] {
        try await read("SELECT * FROM accounts ORDER BY created_at, id").map(Self.account(from:))
    }

    public func changeAccount(id: String, _ change: AccountChange, at now: Date) async throws -> Account? {
        try await transaction { connection in try await Self.apply(change, toAccount: id, at: now, on: connection) }
    }

    /// Applies `change` field by field (never writing a field it does not name), and reads the account back.
    static func apply(_ change: AccountChange, toAccount id: String, at now: Date, on connection: SQLiteConnection) async throws -> Account? {
        if let roles = change.roles {
            _ = try await connection.query("UPDATE accounts SET roles = ? WHERE id = ?", [.text(encodeRoles(roles)), .text(id)])
        }
        switch change.disabled {
        case true?: _ = try await connection.query("UPDATE accounts SET disabled_at = COALESCE(disabled_at, ?) WHERE id = ?", [time(now), .text(id)])
        case false?: _ = try await connection.query("UPDATE accounts SET disabled_at = NULL WHERE id = ?", [.text(id)])
        case nil: break
        }
        if change.emailVerified == true {
            _ = try await connection.query(
                "UPDATE accounts SET email_verified_at = COALESCE(email_verified_at, ?) WHERE id = ?",
                [time(now), .text(id)]
            )
        }
        return try await connection.query("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(account(from:))
    }

    public func passwordHash(accountID: String) async throws -> String? {
        try await read("SELECT phc FROM password_credentials WHERE account_id = ?", [.text(accountID)]).first?.column("phc")?.string
    }

    // MARK: Sessions

    public func session(secretHash: [UInt8]) async throws -> Session? {
        try await read("SELECT * FROM sessions WHERE secret_hash = ?", [.blob(.init(bytes: secretHash))]).first.map(Self.session(from:))
    }

    public func sessionWithAccount(secretHash: [UInt8]) async throws -> (session: Session, account: Account)? {
        try await read("\(Self.sessionWithAccountQuery) WHERE s.secret_hash = ?", [.blob(.init(bytes: secretHash))])
            .first.map { (Self.session(from: $0), Self.account(from: $0, prefix: "account_")) }
    }

    public func sessionsWithAccounts(seenSince since: Date, after last: Session?, limit: Int) async throws -> [(session: Session, account: Account)] {
        // Without a previous page, a position after every row.
        let lastSeen: SQLiteData = last.map { Self.time($0.lastSeenAt) } ?? .integer(Int.max)
        let lastID = last?.id ?? ""
        return try await read(
            """
            \(Self.sessionWithAccountQuery) WHERE s.last_seen_at >= ? AND (s.last_seen_at, s.id) < (?, ?)
            ORDER BY s.last_seen_at DESC, s.id DESC LIMIT ?
            """,
            [Self.time(since), lastSeen, .text(lastID), .integer(max(0, limit))]
        ).map { (Self.session(from: $0), Self.account(from: $0, prefix: "account_")) }
    }

    /// A session's columns, then its account's prefixed with `account_` (its id is the session's `account_id`).
    private static let sessionWithAccountQuery = """
        SELECT s.*, a.email AS account_email, a.roles AS account_roles, a.created_at AS account_created_at,
            a.disabled_at AS account_disabled_at, a.email_verified_at AS account_email_verified_at
        FROM sessions s JOIN accounts a ON a.id = s.account_id
        """

    public func session(id: String) async throws -> Session? {
        try await read("SELECT * FROM sessions WHERE id = ?", [.text(id)]).first.map(Self.session(from:))
    }

    public func sessions(accountID: String) async throws -> [Session] {
        try await read("SELECT * FROM sessions WHERE account_id = ? ORDER BY created_at DESC, id DESC", [.text(accountID)])
            .map(Self.session(from:))
    }

    public func touchSession(id: String, lastSeenAt: Date) async throws {
        _ = try await write(
            "UPDATE sessions SET last_seen_at = ? WHERE id = ? AND last_seen_at < ?",
            [.integer(Int(lastSeenAt.epochSeconds)), .text(id), .integer(Int(lastSeenAt.epochSeconds))]
        )
    }

    public func deleteSession(id: String) async throws -> Bool {
        try await write("DELETE FROM sessions WHERE id = ? RETURNING id", [.text(id)]).count == 1
    }

    public func deleteExpiredSessions(now: Date) async throws -> Int {
        let seconds = Int(now.epochSeconds)
        return try await write(
            "DELETE FROM sessions WHERE absolute_expires_at <= ? OR last_seen_at + idle_seconds <= ? RETURNING id",
            [.integer(seconds), .integer(seconds)]
        ).count
    }

    // MARK: Plumbing

    func read(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        do {
            return try await reader.query(sql, binds)
        } catch {
            throw Self.translate(error)
        }
    }

    func write(_ sql: String, _ binds: [SQLiteData] = []) async throws -> [SQLiteRow] {
        try await transaction { connection in try await connection.query(sql, binds) }
    }

    /// How long a write waits for another process (an admin command) to finish its own.
    static let writeLockWait: Duration = .seconds(15)

    /// Runs `body` in one `BEGIN IMMEDIATE` transaction on the writer, one at a time. While another
    /// process holds the database's write lock, it retries every few milliseconds (with jitter, so
    /// two busy writers do not keep colliding) for up to ``writeLockWait``.
    func transaction<Result: Sendable>(_ body: @Sendable (SQLiteConnection) async throws -> Result) async throws -> Result {
        let writer = self.writer
        return try await writeLock.withPermit {
            do {
                try await Self.beginImmediate(on: writer)
                do {
                    let result = try await body(writer)
                    _ = try await writer.query("COMMIT")
                    return result
                } catch {
                    _ = try? await writer.query("ROLLBACK")
                    throw error
                }
            } catch {
                throw Self.translate(error)
            }
        }
    }

    private static func beginImmediate(on writer: SQLiteConnection) async throws {
        let deadline = ContinuousClock.now + writeLockWait
        var longestPause = 2
        while true {
            do {
                _ = try await writer.query("BEGIN IMMEDIATE")
                return
            } catch let error as SQLiteError where error.reason == .busy && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...longestPause)))
                longestPause = min(longestPause * 2, 25)
            }
        }
    }

    private static func translate(_ error: any Error) -> any Error {
        if error is StoreError { return error }
        if let sqliteError = error as? SQLiteError, sqliteError.reason == .constraintUniqueFailed || sqliteError.reason == .constraintPrimaryKeyFailed
        {
            return StoreError(.duplicate, backendMessage: String(describing: sqliteError))
        }
        return StoreError(.unavailable, backendMessage: String(describing: error))
    }

    static func encodeRoles(_ roles: [String]) -> String { roles.joined(separator: " ") }

    static func time(_ date: Date) -> SQLiteData { .integer(Int(date.epochSeconds)) }

    static func optionalTime(_ date: Date?) -> SQLiteData {
        date.map(time) ?? .null
    }

    static func date(_ row: SQLiteRow, _ column: String) -> Date {
        Date(epochSeconds: Int64(row.column(column)?.integer ?? 0))
    }

    static func optionalDate(_ row: SQLiteRow, _ column: String) -> Date? {
        guard let value = row.column(column), !value.isNull else { return nil }
        return date(row, column)
    }

    static func account(from row: SQLiteRow) -> Account { account(from: row, prefix: "") }

    /// The account in `row`, whose column names carry `prefix` (when joined to another table).
    static func account(from row: SQLiteRow, prefix: String) -> Account {
        Account(
            id: row.column(prefix + "id")?.string ?? "",
            email: row.column(prefix + "email")?.string ?? "",
            roles: (row.column(prefix + "roles")?.string ?? "").split(separator: " ").map(String.init),
            createdAt: date(row, prefix + "created_at"),
            disabledAt: optionalDate(row, prefix + "disabled_at"),
            emailVerifiedAt: optionalDate(row, prefix + "email_verified_at")
        )
    }

    private static func session(from row: SQLiteRow) -> Session {
        Session(
            id: row.column("id")?.string ?? "",
            accountID: row.column("account_id")?.string ?? "",
            secretHash: row.column("secret_hash")?.blob.map { Array($0.readableBytesView) } ?? [],
            createdAt: date(row, "created_at"),
            lastSeenAt: date(row, "last_seen_at"),
            idleTimeout: .seconds(row.column("idle_seconds")?.integer ?? 0),
            absoluteExpiry: date(row, "absolute_expires_at"),
            remember: row.column("remember")?.integer == 1,
            userAgent: row.column("user_agent")?.string,
            ipAddress: row.column("ip")?.string,
            authMethods: AuthenticationMethod.parse(column: row.column("auth_methods")?.string ?? "")
        )
    }
}
