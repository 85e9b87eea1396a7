public import PortcullisCore
import PortcullisTokens
import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PostgresStore {
    // MARK: Signing keys

    public func insertSigningKey(_ key: StoredSigningKey) async throws {
        _ = try await rows(Self.insertion(of: key))
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        try await rows("SELECT * FROM signing_keys ORDER BY created_at, kid").map(Self.signingKey(from:))
    }

    /// The advisory lock rotations hold until they commit, so two rotations at once are serialised.
    static let keyRingLock: Int64 = 7_415_204

    public func rotateSigningKeys(
        adding key: StoredSigningKey,
        retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]
    ) async throws {
        try await transaction { connection in
            let logger = self.logger
            _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.keyRingLock))", logger: logger)
            let held = try await Self.rows("SELECT * FROM signing_keys ORDER BY created_at, kid", on: connection, logger: logger).map(
                Self.signingKey(from:)
            )
            for retired in retire(held) {
                _ = try await connection.query(
                    """
                    UPDATE signing_keys SET signs_until = \(retired.signsUntil?.epochSeconds), verifies_until = \(retired.verifiesUntil?.epochSeconds)
                    WHERE kid = \(retired.kid)
                    """,
                    logger: logger
                )
            }
            _ = try await connection.query(Self.insertion(of: key), logger: logger)
        }
    }

    private static func insertion(of key: StoredSigningKey) -> PostgresQuery {
        """
        INSERT INTO signing_keys (kid, algorithm, sealed_private_key, created_at, signs_from, signs_until, verifies_until)
        VALUES (\(key.kid), \(key.algorithm.rawValue), \(ByteBuffer(bytes: key.sealedPrivateKey)), \(key.createdAt.epochSeconds),
            \(key.signsFrom.epochSeconds), \(key.signsUntil?.epochSeconds), \(key.verifiesUntil?.epochSeconds))
        """
    }

    private static func signingKey(from row: PostgresRandomAccessRow) throws -> StoredSigningKey {
        guard let algorithm = SigningAlgorithm(rawValue: try row["algorithm"].decode(String.self)) else { throw StoreError(.corrupt) }
        return StoredSigningKey(
            kid: try row["kid"].decode(String.self),
            algorithm: algorithm,
            sealedPrivateKey: try bytes(row, "sealed_private_key"),
            createdAt: try date(row, "created_at"),
            signsFrom: try date(row, "signs_from"),
            signsUntil: try optionalDate(row, "signs_until"),
            verifiesUntil: try optionalDate(row, "verifies_until")
        )
    }

    // MARK: Refresh families

    public func useRefreshToken(
        hash: [UInt8],
        successorHash: [UInt8],
        now: Date,
        grace: Duration,
        revocation: RevocationStamp
    ) async throws -> RefreshTokenUse {
        let presented = ByteBuffer(bytes: hash)
        let successor = ByteBuffer(bytes: successorHash)
        let seconds = now.epochSeconds
        return try await transaction { connection in
            // Row locks on the token and its family: concurrent uses queue here, so one rotates
            // and the others see the rotation.
            let rows = try await Self.rows(
                """
                SELECT t.rotated_at AS token_rotated_at, f.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id
                WHERE t.token_hash = \(presented) FOR UPDATE
                """,
                on: connection,
                logger: self.logger
            )
            guard let row = rows.first else { return .invalid }
            var family = try Self.family(from: row)
            guard family.isLive(at: now) else { return .invalid }
            guard let rotatedAt = try Self.optionalDate(row, "token_rotated_at") else {
                _ = try await connection.query(
                    "UPDATE refresh_tokens SET rotated_at = \(seconds) WHERE token_hash = \(presented)",
                    logger: self.logger
                )
                _ = try await connection.query(
                    "INSERT INTO refresh_tokens (token_hash, family_id) VALUES (\(successor), \(family.id)) ON CONFLICT DO NOTHING",
                    logger: self.logger
                )
                _ = try await connection.query("UPDATE refresh_families SET last_used_at = \(seconds) WHERE id = \(family.id)", logger: self.logger)
                family.lastUsedAt = Date(epochSeconds: seconds)
                return .rotated(family)
            }
            if now.timeIntervalSince(rotatedAt) <= grace.timeInterval { return .replayedWithinGrace(family) }
            _ = try await connection.query("UPDATE refresh_families SET revoked_at = \(seconds) WHERE id = \(family.id)", logger: self.logger)
            try await Self.append(revocation.entry(.session, id: family.id), on: connection, logger: self.logger)
            family.revokedAt = Date(epochSeconds: seconds)
            return .reused(family)
        }
    }

    public func refreshFamily(id: String) async throws -> RefreshFamily? {
        try await rows("SELECT * FROM refresh_families WHERE id = \(id)").first.map(Self.family(from:))
    }

    public func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)? {
        try await rows(
            "SELECT t.rotated_at AS token_rotated_at, f.* FROM refresh_tokens t JOIN refresh_families f ON f.id = t.family_id WHERE t.token_hash = \(ByteBuffer(bytes: hash))"
        ).first.map { (try Self.family(from: $0), try Self.optionalDate($0, "token_rotated_at")) }
    }

    public func refreshFamilies(accountID: String) async throws -> [RefreshFamily] {
        try await rows("SELECT * FROM refresh_families WHERE account_id = \(accountID) AND revoked_at IS NULL ORDER BY created_at DESC, id DESC")
            .map(Self.family(from:))
    }

    public func deleteEndedRefreshFamilies(now: Date) async throws -> Int {
        let seconds = now.epochSeconds
        // Their tokens go with them (ON DELETE CASCADE).
        return try await rows(
            """
            WITH ended AS (DELETE FROM refresh_families
                WHERE revoked_at IS NOT NULL OR absolute_expires_at <= \(seconds) OR last_used_at + idle_seconds <= \(seconds) RETURNING 1)
            SELECT count(*) AS n FROM ended
            """
        ).first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    // MARK: Revocations

    /// The advisory lock every append holds until its transaction commits. Taking the next cursor
    /// and committing under one lock makes cursors commit in order, so a reader that has seen
    /// cursor N never later finds an entry below N: a sequence alone would let two concurrent
    /// appends commit out of order, and a reader already past the later one miss the earlier.
    static let revocationLogLock: Int64 = 7_415_203

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        try await transaction { connection in try await Self.append(entry, on: connection, logger: self.logger) }
    }

    /// Appends `entry` unless the log holds it already (the same `session` or `token` id, or a
    /// `user` entry at least as recent), and returns the stored entry. Must be the last statement
    /// of its transaction: it holds the log's lock until the commit.
    @discardableResult
    static func append(_ entry: Revocation, on connection: PostgresConnection, logger: Logger) async throws -> Revocation {
        _ = try await connection.query("SELECT pg_advisory_xact_lock(\(revocationLogLock))", logger: logger)
        let (kind, id, revokedAt, expiresAt) = (entry.kind.rawValue, entry.id, entry.revokedAt.epochSeconds, entry.expiresAt.epochSeconds)
        let inserted: [PostgresRandomAccessRow] =
            if entry.kind == .user {
                try await rows(
                    """
                    INSERT INTO revocations (kind, id, revoked_at, expires_at) SELECT \(kind), \(id), \(revokedAt), \(expiresAt)
                    WHERE NOT EXISTS (SELECT 1 FROM revocations WHERE kind = 'user' AND id = \(id) AND revoked_at >= \(revokedAt)) RETURNING *
                    """,
                    on: connection,
                    logger: logger
                )
            } else {
                try await rows(
                    """
                    INSERT INTO revocations (kind, id, revoked_at, expires_at) VALUES (\(kind), \(id), \(revokedAt), \(expiresAt))
                    ON CONFLICT (kind, id) WHERE kind <> 'user' DO NOTHING RETURNING *
                    """,
                    on: connection,
                    logger: logger
                )
            }
        if let row = inserted.first, let stored = try revocation(from: row) {
            // Delivered at commit, once per transaction however many entries it appends.
            _ = try await connection.query("NOTIFY \(unescaped: revocationChannel)", logger: logger)
            return stored
        }
        let held = try await rows(
            "SELECT * FROM revocations WHERE kind = \(kind) AND id = \(id) ORDER BY cursor DESC LIMIT 1",
            on: connection,
            logger: logger
        )
        return try held.first.flatMap(revocation(from:)) ?? entry
    }

    /// The channel appends notify, so every instance's broadcaster reads new entries at once.
    static let revocationChannel = "portcullis_revocations"

    /// Listens on the revocation channel (holding one pooled connection) until cancelled.
    public func watchRevocations(_ appended: @escaping @Sendable () -> Void) async throws {
        try await client.withConnection { connection in
            try await connection.listen(on: Self.revocationChannel) { notifications in
                for try await _ in notifications { appended() }
            }
        }
    }

    public func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        try await rows(
            "SELECT * FROM revocations WHERE cursor > \(cursor) AND expires_at > \(now.epochSeconds) ORDER BY cursor LIMIT \(limit)"
        ).compactMap(Self.revocation(from:))
    }

    public func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        try await !rows(
            """
            SELECT 1 AS hit FROM revocations WHERE (kind = 'token' AND id = \(tokenID)) OR (kind = 'session' AND id = \(sessionID))
                OR (kind = 'user' AND id = \(accountID) AND revoked_at >= \(issuedAt.epochSeconds)) LIMIT 1
            """
        ).isEmpty
    }

    public func latestUserRevocation(accountID: String) async throws -> Date? {
        try await rows("SELECT MAX(revoked_at) AS latest FROM revocations WHERE kind = 'user' AND id = \(accountID)")
            .first.flatMap { try Self.optionalDate($0, "latest") }
    }

    public func deleteExpiredRevocations(now: Date) async throws -> Int {
        try await rows(
            "WITH gone AS (DELETE FROM revocations WHERE expires_at <= \(now.epochSeconds) RETURNING 1) SELECT count(*) AS n FROM gone"
        ).first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    static func revocation(from row: PostgresRandomAccessRow) throws -> Revocation? {
        guard let kind = Revocation.Kind(rawValue: try row["kind"].decode(String.self)) else { return nil }
        return Revocation(
            cursor: try row["cursor"].decode(Int64.self),
            kind: kind,
            id: try row["id"].decode(String.self),
            revokedAt: try date(row, "revoked_at"),
            expiresAt: try date(row, "expires_at")
        )
    }

    // MARK: Service clients

    public func insertClient(_ client: ServiceClient) async throws {
        _ = try await rows(
            "INSERT INTO service_clients (id, name, secret_hash, created_at) VALUES (\(client.id), \(client.name), \(ByteBuffer(bytes: client.secretHash)), \(client.createdAt.epochSeconds))"
        )
    }

    public func client(id: String) async throws -> ServiceClient? {
        try await rows("SELECT * FROM service_clients WHERE id = \(id)").first.map { row in
            ServiceClient(
                id: try row["id"].decode(String.self),
                name: try row["name"].decode(String.self),
                secretHash: try Self.bytes(row, "secret_hash"),
                createdAt: try Self.date(row, "created_at")
            )
        }
    }

    static func family(from row: PostgresRandomAccessRow) throws -> RefreshFamily {
        RefreshFamily(
            id: try row["id"].decode(String.self),
            accountID: try row["account_id"].decode(String.self),
            clientID: try row["client_id"].decode(String.self),
            audience: try row["audience"].decode(String.self),
            createdAt: try date(row, "created_at"),
            lastUsedAt: try date(row, "last_used_at"),
            idleTimeout: .seconds(try row["idle_seconds"].decode(Int64.self)),
            absoluteExpiry: try date(row, "absolute_expires_at"),
            revokedAt: try optionalDate(row, "revoked_at"),
            authMethods: AuthenticationMethod.parse(column: try row["auth_methods"].decode(String.self))
        )
    }
}
