import Logging
public import PortcullisCore
import PostgresNIO

extension PostgresStore {
    public func apply(_ writes: [StoreWrite], stamp: RevocationStamp) async throws -> AppliedWrites {
        try await transaction { connection in
            var applied = AppliedWrites()
            // Revocation appends take the log's lock until the commit, so they go last (see `append`).
            for write in writes { try await Self.perform(write, stamp: stamp, on: connection, logger: self.logger, into: &applied) }
            return applied
        }
    }

    private static func perform(
        _ write: StoreWrite,
        stamp: RevocationStamp,
        on connection: PostgresConnection,
        logger: Logger,
        into applied: inout AppliedWrites
    ) async throws {
        let now = stamp.revokedAt.epochSeconds
        switch write {
        case .requireCredential(let accountID, let passwordHash):
            // FOR SHARE holds both rows until the commit. A reset, change or disable that updated
            // them first makes this wait for its commit, then re-read them (and fail); one that
            // comes later waits for this commit, and its own DELETE then sees what this inserted.
            let held = try await rows(
                """
                SELECT 1 FROM password_credentials c JOIN accounts a ON a.id = c.account_id
                WHERE c.account_id = \(accountID) AND c.phc = \(passwordHash) AND a.disabled_at IS NULL
                FOR SHARE
                """,
                on: connection,
                logger: logger
            )
            guard !held.isEmpty else { throw StoreError(.changed) }
        case .insertAccount(let account, let hash):
            try await insert(account, passwordHash: hash, on: connection, logger: logger)
            applied.account = account
        case .setPasswordHash(let accountID, let hash):
            _ = try await connection.query(
                "UPDATE password_credentials SET phc = \(hash), updated_at = \(now) WHERE account_id = \(accountID)",
                logger: logger
            )
        case .insertSession(let session):
            let idle = session.idleTimeout.components.seconds
            _ = try await connection.query(
                """
                INSERT INTO sessions (id, account_id, secret_hash, created_at, last_seen_at, idle_seconds, absolute_expires_at, remember, user_agent, ip,
                    auth_methods)
                VALUES (\(session.id), \(session.accountID), \(ByteBuffer(bytes: session.secretHash)), \(session.createdAt.epochSeconds),
                    \(session.lastSeenAt.epochSeconds), \(idle), \(session.absoluteExpiry.epochSeconds), \(session.remember), \(session.userAgent),
                    \(session.ipAddress), \(AuthenticationMethod.column(session.authMethods)))
                """,
                logger: logger
            )
        case .insertRefreshFamily(let family, let firstTokenHash):
            let idle = family.idleTimeout.components.seconds
            _ = try await connection.query(
                """
                INSERT INTO refresh_families (id, account_id, client_id, audience, created_at, last_used_at, idle_seconds, absolute_expires_at,
                    auth_methods)
                VALUES (\(family.id), \(family.accountID), \(family.clientID), \(family.audience), \(family.createdAt.epochSeconds),
                    \(family.lastUsedAt.epochSeconds), \(idle), \(family.absoluteExpiry.epochSeconds), \(AuthenticationMethod.column(family.authMethods)))
                """,
                logger: logger
            )
            _ = try await connection.query(
                "INSERT INTO refresh_tokens (token_hash, family_id) VALUES (\(ByteBuffer(bytes: firstTokenHash)), \(family.id))",
                logger: logger
            )
        case .changeAccount(let id, let change):
            applied.account = try await apply(change, toAccount: id, at: stamp.revokedAt, on: connection, logger: logger)
        case .endAccess(let scope):
            try await endAccess(scope, stamp: stamp, on: connection, logger: logger, into: &applied)
        case .insertOneTimeToken(let token):
            _ = try await connection.query(
                """
                INSERT INTO one_time_tokens (hash, purpose, account_id, email, created_at, expires_at, stay_signed_in)
                VALUES (\(ByteBuffer(bytes: token.hash)), \(token.purpose.rawValue), \(token.accountID), \(token.email),
                    \(token.createdAt.epochSeconds), \(token.expiresAt.epochSeconds), \(token.staySignedIn))
                """,
                logger: logger
            )
        case .useOneTimeToken(let hash, let purpose):
            // One statement: two concurrent uses cannot both find it unused.
            let used = try await rows(
                """
                UPDATE one_time_tokens SET used_at = \(now)
                WHERE hash = \(ByteBuffer(bytes: hash)) AND purpose = \(purpose.rawValue) AND used_at IS NULL AND expires_at > \(now)
                RETURNING *
                """,
                on: connection,
                logger: logger
            )
            guard let row = used.first, let token = try oneTimeToken(from: row) else { throw StoreError(.unusable) }
            applied.usedToken = token.used(at: nil)
        case .spendOneTimeToken(let token):
            // ON CONFLICT waits for a concurrent insert of the same hash to commit, then skips it.
            let spent = try await rows(
                """
                INSERT INTO one_time_tokens (hash, purpose, account_id, email, created_at, expires_at, used_at)
                VALUES (\(ByteBuffer(bytes: token.hash)), \(token.purpose.rawValue), \(token.accountID), \(token.email),
                    \(token.createdAt.epochSeconds), \(token.expiresAt.epochSeconds), \(now))
                ON CONFLICT (hash) DO NOTHING RETURNING hash
                """,
                on: connection,
                logger: logger
            )
            guard !spent.isEmpty else { throw StoreError(.unusable) }
        case .retireOneTimeTokens(let accountID, let purpose):
            _ = try await connection.query(
                "UPDATE one_time_tokens SET used_at = \(now) WHERE account_id = \(accountID) AND purpose = \(purpose.rawValue) AND used_at IS NULL",
                logger: logger
            )
        case .enqueueMail(let mail):
            _ = try await connection.query(
                """
                INSERT INTO mail_outbox (id, sealed_content, created_at, attempts, next_attempt_at)
                VALUES (\(mail.id), \(ByteBuffer(bytes: mail.sealedContent)), \(mail.createdAt.epochSeconds), \(mail.attempts), \(mail.nextAttemptAt.epochSeconds))
                """,
                logger: logger
            )
        case .beginTOTP, .confirmTOTP, .useTOTPStep, .requireNoSecondFactor, .removeTOTP, .replaceRecoveryCodes, .useRecoveryCode,
            .insertPasskey, .usePasskey, .renamePasskey, .removePasskey, .requireSecondFactor:
            try await performSecondFactor(write, now: now, on: connection, logger: logger)
        }
    }

    private static func endAccess(
        _ scope: AccessScope,
        stamp: RevocationStamp,
        on connection: PostgresConnection,
        logger: Logger,
        into applied: inout AppliedWrites
    ) async throws {
        let revokedAt = stamp.revokedAt.epochSeconds
        switch scope {
        case .session(let id, let owner):
            let deleted = try await rows(
                "DELETE FROM sessions WHERE id = \(id) AND account_id = COALESCE(\(owner), account_id) RETURNING id",
                on: connection,
                logger: logger
            )
            guard !deleted.isEmpty else { return }
            applied.sessionIDs.append(id)
            applied.revocations.append(try await append(stamp.entry(.session, id: id), on: connection, logger: logger))
        case .refreshFamily(let id, let owner):
            let revoked = try await rows(
                """
                UPDATE refresh_families SET revoked_at = \(revokedAt)
                WHERE id = \(id) AND revoked_at IS NULL AND account_id = COALESCE(\(owner), account_id) RETURNING id
                """,
                on: connection,
                logger: logger
            )
            guard !revoked.isEmpty else { return }
            applied.familyIDs.append(id)
            applied.revocations.append(try await append(stamp.entry(.session, id: id), on: connection, logger: logger))
        case .account(let id, let kept):
            let sessions = try await rows(
                "DELETE FROM sessions WHERE account_id = \(id) AND id IS DISTINCT FROM \(kept) RETURNING id",
                on: connection,
                logger: logger
            )
            let families = try await rows(
                "UPDATE refresh_families SET revoked_at = \(revokedAt) WHERE account_id = \(id) AND revoked_at IS NULL RETURNING id",
                on: connection,
                logger: logger
            )
            let sessionIDs = try sessions.map { try $0["id"].decode(String.self) }.sorted()
            let familyIDs = try families.map { try $0["id"].decode(String.self) }.sorted()
            applied.account = try await rows("SELECT * FROM accounts WHERE id = \(id)", on: connection, logger: logger).first.map(account(from:))
            for ended in sessionIDs + familyIDs {
                applied.revocations.append(try await append(stamp.entry(.session, id: ended), on: connection, logger: logger))
            }
            applied.revocations.append(try await append(stamp.entry(.user, id: id), on: connection, logger: logger))
            applied.sessionIDs += sessionIDs
            applied.familyIDs += familyIDs
        }
    }
}
