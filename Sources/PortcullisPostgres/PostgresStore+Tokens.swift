#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif
public import PortcullisCore
import PortcullisTokens
import PostgresNIO

extension PostgresStore {
    // MARK: Signing keys

    public func insertSigningKey(_ key: StoredSigningKey) async throws {
        _ = try await rows(
            """
            INSERT INTO signing_keys (kid, algorithm, sealed_private_key, created_at, signs_from, signs_until, verifies_until)
            VALUES (\(key.kid), \(key.algorithm.rawValue), \(ByteBuffer(bytes: key.sealedPrivateKey)), \(key.createdAt.epochSeconds),
                \(key.signsFrom.epochSeconds), \(key.signsUntil?.epochSeconds), \(key.verifiesUntil?.epochSeconds))
            """
        )
    }

    public func signingKeys() async throws -> [StoredSigningKey] {
        try await rows("SELECT * FROM signing_keys ORDER BY created_at, kid").map { row in
            guard let algorithm = SigningAlgorithm(rawValue: try row["algorithm"].decode(String.self)) else { throw StoreError(.corrupt) }
            return StoredSigningKey(
                kid: try row["kid"].decode(String.self), algorithm: algorithm, sealedPrivateKey: try Self.bytes(row, "sealed_private_key"),
                createdAt: try Self.date(row, "created_at"), signsFrom: try Self.date(row, "signs_from"),
                signsUntil: try Self.optionalDate(row, "signs_until"), verifiesUntil: try Self.optionalDate(row, "verifies_until")
            )
        }
    }

    public func updateSigningKey(_ key: StoredSigningKey) async throws {
        _ = try await rows(
            "UPDATE signing_keys SET signs_until = \(key.signsUntil?.epochSeconds), verifies_until = \(key.verifiesUntil?.epochSeconds) WHERE kid = \(key.kid)"
        )
    }

    // MARK: Refresh families

    public func insertRefreshFamily(_ family: RefreshFamily, firstTokenHash: [UInt8]) async throws {
        let idle = family.idleTimeout.components.seconds
        try await transaction { connection in
            _ = try await connection.query(
                """
                INSERT INTO refresh_families (id, account_id, client_id, audience, created_at, last_used_at, idle_seconds, absolute_expires_at)
                VALUES (\(family.id), \(family.accountID), \(family.clientID), \(family.audience), \(family.createdAt.epochSeconds),
                    \(family.lastUsedAt.epochSeconds), \(idle), \(family.absoluteExpiry.epochSeconds))
                """,
                logger: self.logger
            )
            _ = try await connection.query(
                "INSERT INTO refresh_tokens (token_hash, family_id) VALUES (\(ByteBuffer(bytes: firstTokenHash)), \(family.id))",
                logger: self.logger
            )
        }
    }

    public func useRefreshToken(hash: [UInt8], successorHash: [UInt8], now: Date, grace: Duration) async throws -> RefreshTokenUse {
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
                on: connection, logger: self.logger
            )
            guard let row = rows.first else { return .invalid }
            var family = try Self.family(from: row)
            guard family.isLive(at: now) else { return .invalid }
            guard let rotatedAt = try Self.optionalDate(row, "token_rotated_at") else {
                _ = try await connection.query("UPDATE refresh_tokens SET rotated_at = \(seconds) WHERE token_hash = \(presented)", logger: self.logger)
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

    public func revokeRefreshFamily(id: String, at time: Date) async throws -> Bool {
        try await rows("UPDATE refresh_families SET revoked_at = \(time.epochSeconds) WHERE id = \(id) AND revoked_at IS NULL RETURNING id").count == 1
    }

    public func revokeRefreshFamilies(accountID: String, at time: Date) async throws -> [String] {
        try await rows(
            "UPDATE refresh_families SET revoked_at = \(time.epochSeconds) WHERE account_id = \(accountID) AND revoked_at IS NULL RETURNING id"
        ).map { try $0["id"].decode(String.self) }.sorted()
    }

    // MARK: Revocations

    public func appendRevocation(_ entry: Revocation) async throws -> Revocation {
        let rows = try await rows(
            """
            INSERT INTO revocations (kind, id, revoked_at, expires_at)
            VALUES (\(entry.kind.rawValue), \(entry.id), \(entry.revokedAt.epochSeconds), \(entry.expiresAt.epochSeconds)) RETURNING cursor
            """
        )
        let cursor = try rows.first?["cursor"].decode(Int64.self) ?? 0
        return Revocation(cursor: cursor, kind: entry.kind, id: entry.id, revokedAt: entry.revokedAt, expiresAt: entry.expiresAt)
    }

    public func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation] {
        try await rows(
            "SELECT * FROM revocations WHERE cursor > \(cursor) AND expires_at > \(now.epochSeconds) ORDER BY cursor LIMIT \(limit)"
        ).compactMap { row in
            guard let kind = Revocation.Kind(rawValue: try row["kind"].decode(String.self)) else { return nil }
            return Revocation(
                cursor: try row["cursor"].decode(Int64.self), kind: kind, id: try row["id"].decode(String.self),
                revokedAt: try Self.date(row, "revoked_at"), expiresAt: try Self.date(row, "expires_at")
            )
        }
    }

    public func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool {
        try await !rows(
            """
            SELECT 1 AS hit FROM revocations WHERE (kind = 'token' AND id = \(tokenID)) OR (kind = 'session' AND id = \(sessionID))
                OR (kind = 'user' AND id = \(accountID) AND revoked_at >= \(issuedAt.epochSeconds)) LIMIT 1
            """
        ).isEmpty
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
                id: try row["id"].decode(String.self), name: try row["name"].decode(String.self),
                secretHash: try Self.bytes(row, "secret_hash"), createdAt: try Self.date(row, "created_at")
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
            revokedAt: try optionalDate(row, "revoked_at")
        )
    }
}
