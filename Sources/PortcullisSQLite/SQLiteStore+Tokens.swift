public import PortcullisCore
import PortcullisTokens
import SQLiteNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension SQLiteStore {
    // MARK: Signing keys

    public func insertSigningKey(_ key: StoredSigningKey) async throws {
        _ = try await write(Self.insertSigningKey, Self.values(of: key))
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        try await read("SELECT * FROM signing_keys ORDER BY created_at, kid").map(Self.signingKey(from:))
    }

    private static let insertSigningKey =
        "INSERT INTO signing_keys (kid, algorithm, sealed_private_key, created_at, signs_from, signs_until, verifies_until) VALUES (?, ?, ?, ?, ?, ?, ?)"

    private static func values(of key: StoredSigningKey) -> [SQLiteData] {
        [
            .text(key.kid), .text(key.algorithm.rawValue), .blob(.init(bytes: key.sealedPrivateKey)), time(key.createdAt),
            time(key.signsFrom), optionalTime(key.signsUntil), optionalTime(key.verifiesUntil),
        ]
    }

    private static func signingKey(from row: SQLiteRow) throws -> StoredSigningKey {
        guard let algorithm = row.column("algorithm")?.string.flatMap(SigningAlgorithm.init(rawValue:)) else { throw StoreError(.corrupt) }
        return StoredSigningKey(
            kid: row.column("kid")?.string ?? "",
            algorithm: algorithm,
            sealedPrivateKey: row.column("sealed_private_key")?.blob.map { Array($0.readableBytesView) } ?? [],
            createdAt: date(row, "created_at"),
            signsFrom: date(row, "signs_from"),
            signsUntil: optionalDate(row, "signs_until"),
            verifiesUntil: optionalDate(row, "verifies_until")
        )
    }

    public func rotateSigningKeys(
        adding key: StoredSigningKey,
        retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]
    ) async throws {
        // BEGIN IMMEDIATE takes the database's write lock first: other processes rotate after us.
        try await transaction { connection in
            let held = try await connection.query("SELECT * FROM signing_keys ORDER BY created_at, kid").map(Self.signingKey(from:))
            for retired in retire(held) {
                _ = try await connection.query(
                    "UPDATE signing_keys SET signs_until = ?, verifies_until = ? WHERE kid = ?",
                    [Self.optionalTime(retired.signsUntil), Self.optionalTime(retired.verifiesUntil), .text(retired.kid)]
                )
            }
            _ = try await connection.query(Self.insertSigningKey, Self.values(of: key))
        }
    }

    // MARK: Refresh families

    public func useRefreshToken(
        hash: [UInt8],
        successorHash: [UInt8],
        now: Date,
        grace: Duration,
        revocation: RevocationStamp
    ) async throws -> RefreshTokenUse {
        try await transaction { connection in
            let rows = try await connection.query(
                "SELECT t.rotated_at AS token_rotated_at, f.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = ?",
                [.blob(.init(bytes: hash))]
            )
            guard let row = rows.first else { return .invalid }
            var family = Self.family(from: row)
            guard family.isLive(at: now) else { return .invalid }
            guard let rotatedAt = Self.optionalDate(row, "token_rotated_at") else {
                _ = try await connection.query(
                    "UPDATE refresh_tokens SET rotated_at = ? WHERE token_hash = ?",
                    [Self.time(now), .blob(.init(bytes: hash))]
                )
                _ = try await connection.query(
                    "INSERT INTO refresh_tokens (token_hash, family_id) VALUES (?, ?)",
                    [.blob(.init(bytes: successorHash)), .text(family.id)]
                )
                _ = try await connection.query("UPDATE refresh_families SET last_used_at = ? WHERE id = ?", [Self.time(now), .text(family.id)])
                family.lastUsedAt = Date(epochSeconds: now.epochSeconds)
                return .rotated(family)
            }
            if now.timeIntervalSince(rotatedAt) <= grace.timeInterval { return .replayedWithinGrace(family) }
            _ = try await connection.query("UPDATE refresh_families SET revoked_at = ? WHERE id = ?", [Self.time(now), .text(family.id)])
            try await Self.append(revocation.entry(.session, id: family.id), on: connection)
            family.revokedAt = Date(epochSeconds: now.epochSeconds)
            return .reused(family)
        }
    }

    public func refreshFamily(id: String) async throws -> RefreshFamily? {
        try await read("SELECT * FROM refresh_families WHERE id = ?", [.text(id)]).first.map(Self.family(from:))
    }

    public func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)? {
        try await read(
            "SELECT t.rotated_at AS token_rotated_at, f.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = ?",
            [.blob(.init(bytes: hash))]
        ).first.map { (Self.family(from: $0), Self.optionalDate($0, "token_rotated_at")) }
    }

    public func refreshFamilies(accountID: String) async throws -> [RefreshFamily] {
        try await read(
            "SELECT * FROM refresh_families WHERE account_id = ? AND revoked_at IS NULL ORDER BY created_at DESC, id DESC",
            [.text(accountID)]
        )
        .map(Self.family(from:))
    }

    public func deleteEndedRefreshFamilies(now: Date) async throws -> Int {
        try await transaction { connection in
            // Their tokens go with them (ON DELETE CASCADE).
            _ = try await connection.query(
                "DELETE FROM refresh_families WHERE revoked_at IS NOT NULL OR absolute_expires_at <= ? OR last_used_at + idle_seconds <= ?",
                [Self.time(now), Self.time(now)]
            )
            return try await Self.changes(on: connection)
        }
    }

    // MARK: Revocations

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        try await transaction { connection in try await Self.append(entry, on: connection) }
    }

    /// Appends `entry` unless the log holds it already (the same `session` or `token` id, or a
    /// `user` entry at least as recent), and returns the stored entry. One writer at a time, so
    /// cursors commit in order and the feed has no gaps.
    @discardableResult
    static func append(_ entry: Revocation, on connection: SQLiteConnection) async throws -> Revocation {
        let values: [SQLiteData] = [.text(entry.kind.rawValue), .text(entry.id), time(entry.revokedAt), time(entry.expiresAt)]
        let inserted =
            if entry.kind == .user {
                try await connection.query(
                    """
                    INSERT INTO revocations (kind, id, revoked_at, expires_at) SELECT ?, ?, ?, ?
                    WHERE NOT EXISTS (SELECT 1 FROM revocations WHERE kind = 'user' AND id = ? AND revoked_at >= ?) RETURNING *
                    """,
                    values + [.text(entry.id), time(entry.revokedAt)]
                )
            } else {
                try await connection.query(
                    "INSERT INTO revocations (kind, id, revoked_at, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING RETURNING *",
                    values
                )
            }
        if let row = inserted.first, let stored = revocation(from: row) { return stored }
        let held = try await connection.query(
            "SELECT * FROM revocations WHERE kind = ? AND id = ? ORDER BY cursor DESC LIMIT 1",
            [.text(entry.kind.rawValue), .text(entry.id)]
        )
        return held.first.flatMap(revocation(from:)) ?? entry
    }

    public func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        try await read(
            "SELECT * FROM revocations WHERE cursor > ? AND expires_at > ? ORDER BY cursor LIMIT ?",
            [.integer(Int(cursor)), Self.time(now), .integer(limit)]
        ).compactMap(Self.revocation(from:))
    }

    public func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        try await read(
            """
            SELECT 1 FROM revocations WHERE (kind = 'token' AND id = ?) OR (kind = 'session' AND id = ?)
                OR (kind = 'user' AND id = ? AND revoked_at >= ?) LIMIT 1
            """,
            [.text(tokenID), .text(sessionID), .text(accountID), Self.time(issuedAt)]
        ).isEmpty == false
    }

    public func latestUserRevocation(accountID: String) async throws -> Date? {
        try await read("SELECT MAX(revoked_at) AS latest FROM revocations WHERE kind = 'user' AND id = ?", [.text(accountID)])
            .first.flatMap { Self.optionalDate($0, "latest") }
    }

    public func deleteExpiredRevocations(now: Date) async throws -> Int {
        try await transaction { connection in
            _ = try await connection.query("DELETE FROM revocations WHERE expires_at <= ?", [Self.time(now)])
            return try await Self.changes(on: connection)
        }
    }

    static func revocation(from row: SQLiteRow) -> Revocation? {
        guard let kind = row.column("kind")?.string.flatMap(Revocation.Kind.init(rawValue:)) else { return nil }
        return Revocation(
            cursor: Int64(row.column("cursor")?.integer ?? 0),
            kind: kind,
            id: row.column("id")?.string ?? "",
            revokedAt: date(row, "revoked_at"),
            expiresAt: date(row, "expires_at")
        )
    }

    /// How many rows the previous statement on `connection` changed.
    static func changes(on connection: SQLiteConnection) async throws -> Int {
        try await connection.query("SELECT changes() AS n").first?.column("n")?.integer ?? 0
    }

    // MARK: Service clients

    public func insertClient(_ client: ServiceClient) async throws {
        _ = try await write(
            "INSERT INTO service_clients (id, name, secret_hash, created_at) VALUES (?, ?, ?, ?)",
            [.text(client.id), .text(client.name), .blob(.init(bytes: client.secretHash)), Self.time(client.createdAt)]
        )
    }

    public func client(id: String) async throws -> ServiceClient? {
        try await read("SELECT * FROM service_clients WHERE id = ?", [.text(id)]).first.map { row in
            ServiceClient(
                id: row.column("id")?.string ?? "",
                name: row.column("name")?.string ?? "",
                secretHash: row.column("secret_hash")?.blob.map { Array($0.readableBytesView) } ?? [],
                createdAt: Self.date(row, "created_at")
            )
        }
    }

    private static func family(from row: SQLiteRow) -> RefreshFamily {
        RefreshFamily(
            id: row.column("id")?.string ?? "",
            accountID: row.column("account_id")?.string ?? "",
            clientID: row.column("client_id")?.string ?? "",
            audience: row.column("audience")?.string ?? "",
            createdAt: date(row, "created_at"),
            lastUsedAt: date(row, "last_used_at"),
            idleTimeout: .seconds(row.column("idle_seconds")?.integer ?? 0),
            absoluteExpiry: date(row, "absolute_expires_at"),
            revokedAt: optionalDate(row, "revoked_at"),
            authMethods: AuthenticationMethod.parse(column: row.column("auth_methods")?.string ?? "")
        )
    }
}
