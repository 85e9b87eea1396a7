public import PortcullisCore
import SQLiteNIO

extension SQLiteStore {
    public func apply(_ writes: [StoreWrite], stamp: RevocationStamp) async throws -> AppliedWrites {
        try await transaction { connection in
            var applied = AppliedWrites()
            for write in writes { try await Self.perform(write, stamp: stamp, on: connection, into: &applied) }
            return applied
        }
    }

    private static func perform(
        _ write: StoreWrite,
        stamp: RevocationStamp,
        on connection: SQLiteConnection,
        into applied: inout AppliedWrites
    ) async throws {
        let now = stamp.revokedAt
        switch write {
        case .requireCredential(let accountID, let passwordHash):
            // The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
            let held = try await connection.query(
                """
                SELECT 1 FROM password_credentials c JOIN accounts a ON a.id = c.account_id
                WHERE c.account_id = ? AND c.phc = ? AND a.disabled_at IS NULL
                """,
                [.text(accountID), .text(passwordHash)]
            )
            guard !held.isEmpty else { throw StoreError(.changed) }
        case .insertAccount(let account, let hash):
            try await insert(account, passwordHash: hash, on: connection)
            applied.account = account
        case .setPasswordHash(let accountID, let hash):
            _ = try await connection.query(
                "UPDATE password_credentials SET phc = ?, updated_at = ? WHERE account_id = ?",
                [.text(hash), time(now), .text(accountID)]
            )
        case .insertSession(let session):
            _ = try await connection.query(
                """
                INSERT INTO sessions (id, account_id, secret_hash, created_at, last_seen_at, idle_seconds,
                    absolute_expires_at, remember, user_agent, ip, auth_methods) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(session.id), .text(session.accountID), .blob(.init(bytes: session.secretHash)),
                    time(session.createdAt), time(session.lastSeenAt), .integer(Int(session.idleTimeout.components.seconds)),
                    time(session.absoluteExpiry), .integer(session.remember ? 1 : 0), session.userAgent.map { .text($0) } ?? .null,
                    session.ipAddress.map { .text($0) } ?? .null, .text(AuthenticationMethod.column(session.authMethods)),
                ]
            )
        case .insertRefreshFamily(let family, let firstTokenHash):
            _ = try await connection.query(
                """
                INSERT INTO refresh_families (id, account_id, client_id, audience, created_at, last_used_at, idle_seconds,
                    absolute_expires_at, auth_methods)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .text(family.id), .text(family.accountID), .text(family.clientID), .text(family.audience), time(family.createdAt),
                    time(family.lastUsedAt), .integer(Int(family.idleTimeout.components.seconds)), time(family.absoluteExpiry),
                    .text(AuthenticationMethod.column(family.authMethods)),
                ]
            )
            _ = try await connection.query(
                "INSERT INTO refresh_tokens (token_hash, family_id) VALUES (?, ?)",
                [.blob(.init(bytes: firstTokenHash)), .text(family.id)]
            )
        case .changeAccount(let id, let change):
            applied.account = try await apply(change, toAccount: id, at: now, on: connection)
        case .endAccess(let scope):
            try await endAccess(scope, stamp: stamp, on: connection, into: &applied)
        case .insertOneTimeToken(let token):
            _ = try await connection.query(
                """
                INSERT INTO one_time_tokens (hash, purpose, account_id, email, created_at, expires_at, stay_signed_in)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """,
                [
                    .blob(.init(bytes: token.hash)), .text(token.purpose.rawValue), .text(token.accountID), .text(token.email),
                    time(token.createdAt), time(token.expiresAt), .integer(token.staySignedIn ? 1 : 0),
                ]
            )
        case .spendOneTimeToken(let token):
            let spent = try await connection.query(
                """
                INSERT INTO one_time_tokens (hash, purpose, account_id, email, created_at, expires_at, used_at)
                VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING hash
                """,
                [
                    .blob(.init(bytes: token.hash)), .text(token.purpose.rawValue), .text(token.accountID), .text(token.email),
                    time(token.createdAt), time(token.expiresAt), time(now),
                ]
            )
            guard !spent.isEmpty else { throw StoreError(.unusable) }
        case .useOneTimeToken(let hash, let purpose):
            let used = try await connection.query(
                """
                UPDATE one_time_tokens SET used_at = ? WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
                RETURNING *
                """,
                [time(now), .blob(.init(bytes: hash)), .text(purpose.rawValue), time(now)]
            )
            guard let row = used.first, let token = oneTimeToken(from: row) else { throw StoreError(.unusable) }
            applied.usedToken = token.used(at: nil)
        case .retireOneTimeTokens(let accountID, let purpose):
            _ = try await connection.query(
                "UPDATE one_time_tokens SET used_at = ? WHERE account_id = ? AND purpose = ? AND used_at IS NULL",
                [time(now), .text(accountID), .text(purpose.rawValue)]
            )
        case .enqueueMail(let mail):
            _ = try await connection.query(
                "INSERT INTO mail_outbox (id, sealed_content, created_at, attempts, next_attempt_at) VALUES (?, ?, ?, ?, ?)",
                [.text(mail.id), .blob(.init(bytes: mail.sealedContent)), time(mail.createdAt), .integer(mail.attempts), time(mail.nextAttemptAt)]
            )
        case .beginTOTP(let credential):
            // Replaces a pending key only: a confirmed one makes the upsert change nothing.
            let stored = try await connection.query(
                """
                INSERT INTO totp_credentials (account_id, sealed_key, created_at) VALUES (?, ?, ?)
                ON CONFLICT (account_id) DO UPDATE SET sealed_key = excluded.sealed_key, created_at = excluded.created_at,
                    last_used_step = NULL
                WHERE totp_credentials.confirmed_at IS NULL
                RETURNING account_id
                """,
                [.text(credential.accountID), .blob(.init(bytes: credential.sealedKey)), time(credential.createdAt)]
            )
            guard !stored.isEmpty else { throw StoreError.duplicate }
        case .confirmTOTP(let accountID, let sealedKey, let step):
            let confirmed = try await connection.query(
                """
                UPDATE totp_credentials SET confirmed_at = ?, last_used_step = ?
                WHERE account_id = ? AND sealed_key = ? AND confirmed_at IS NULL RETURNING account_id
                """,
                [time(now), .integer(Int(step)), .text(accountID), .blob(.init(bytes: sealedKey))]
            )
            guard !confirmed.isEmpty else { throw StoreError(.unusable) }
        case .useTOTPStep(let accountID, let sealedKey, let step):
            let used = try await connection.query(
                """
                UPDATE totp_credentials SET last_used_step = ?
                WHERE account_id = ? AND sealed_key = ? AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < ?)
                RETURNING account_id
                """,
                [.integer(Int(step)), .text(accountID), .blob(.init(bytes: sealedKey)), .integer(Int(step))]
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        case .requireNoSecondFactor(let accountID):
            // The write transaction (BEGIN IMMEDIATE) already excludes every other writer.
            let confirmed = try await connection.query(
                """
                SELECT 1 FROM totp_credentials WHERE account_id = ? AND confirmed_at IS NOT NULL
                UNION ALL SELECT 1 FROM passkeys WHERE account_id = ?
                """,
                [.text(accountID), .text(accountID)]
            )
            guard confirmed.isEmpty else { throw StoreError(.changed) }
        case .requireSecondFactor(let accountID):
            let held = try await connection.query(
                """
                SELECT 1 FROM totp_credentials WHERE account_id = ? AND confirmed_at IS NOT NULL
                UNION ALL SELECT 1 FROM passkeys WHERE account_id = ?
                """,
                [.text(accountID), .text(accountID)]
            )
            guard !held.isEmpty else { throw StoreError(.changed) }
        case .insertPasskey(let passkey):
            let stored = try await connection.query(
                """
                INSERT INTO passkeys (id, account_id, name, public_key, sign_count, backup_eligible, transports, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING RETURNING id
                """,
                [
                    .text(passkey.id), .text(passkey.accountID), .text(passkey.name), .blob(.init(bytes: passkey.publicKey)),
                    .integer(Int(passkey.signCount)), .integer(passkey.isBackupEligible ? 1 : 0),
                    .text(passkey.transports.joined(separator: " ")), time(passkey.createdAt),
                ]
            )
            guard !stored.isEmpty else { throw StoreError.duplicate }
        case .usePasskey(let id, let accountID, let signCount, let newSignCount):
            let used = try await connection.query(
                """
                UPDATE passkeys SET sign_count = ?, last_used_at = ?
                WHERE id = ? AND account_id = ? AND sign_count = ?
                    AND EXISTS (SELECT 1 FROM accounts WHERE id = ? AND disabled_at IS NULL)
                RETURNING id
                """,
                [.integer(Int(newSignCount)), time(now), .text(id), .text(accountID), .integer(Int(signCount)), .text(accountID)]
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        case .renamePasskey(let id, let accountID, let name):
            let renamed = try await connection.query(
                "UPDATE passkeys SET name = ? WHERE id = ? AND account_id = ? RETURNING id",
                [.text(name), .text(id), .text(accountID)]
            )
            guard !renamed.isEmpty else { throw StoreError(.unusable) }
        case .removePasskey(let id, let accountID):
            let removed = try await connection.query(
                "DELETE FROM passkeys WHERE id = ? AND account_id = ? RETURNING id",
                [.text(id), .text(accountID)]
            )
            guard !removed.isEmpty else { throw StoreError(.unusable) }
        case .removeTOTP(let accountID):
            _ = try await connection.query("DELETE FROM totp_credentials WHERE account_id = ?", [.text(accountID)])
            _ = try await connection.query("DELETE FROM recovery_codes WHERE account_id = ?", [.text(accountID)])
        case .replaceRecoveryCodes(let accountID, let hashes):
            _ = try await connection.query("DELETE FROM recovery_codes WHERE account_id = ?", [.text(accountID)])
            for hash in Set(hashes) {
                _ = try await connection.query(
                    "INSERT INTO recovery_codes (account_id, code_hash) VALUES (?, ?)",
                    [.text(accountID), .blob(.init(bytes: hash))]
                )
            }
        case .useRecoveryCode(let accountID, let hash):
            let used = try await connection.query(
                "UPDATE recovery_codes SET used_at = ? WHERE account_id = ? AND code_hash = ? AND used_at IS NULL RETURNING account_id",
                [time(now), .text(accountID), .blob(.init(bytes: hash))]
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        }
    }

    private static func endAccess(
        _ scope: AccessScope,
        stamp: RevocationStamp,
        on connection: SQLiteConnection,
        into applied: inout AppliedWrites
    ) async throws {
        switch scope {
        case .session(let id, let owner):
            let deleted = try await connection.query(
                "DELETE FROM sessions WHERE id = ? AND account_id = COALESCE(?, account_id) RETURNING id",
                [.text(id), owner.map { .text($0) } ?? .null]
            )
            guard !deleted.isEmpty else { return }
            applied.sessionIDs.append(id)
            applied.revocations.append(try await append(stamp.entry(.session, id: id), on: connection))
        case .refreshFamily(let id, let owner):
            let revoked = try await connection.query(
                "UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND account_id = COALESCE(?, account_id) RETURNING id",
                [time(stamp.revokedAt), .text(id), owner.map { .text($0) } ?? .null]
            )
            guard !revoked.isEmpty else { return }
            applied.familyIDs.append(id)
            applied.revocations.append(try await append(stamp.entry(.session, id: id), on: connection))
        case .account(let id, let kept):
            let sessions = try await connection.query(
                "DELETE FROM sessions WHERE account_id = ? AND id IS NOT COALESCE(?, '') RETURNING id",
                [.text(id), kept.map { .text($0) } ?? .null]
            )
            let families = try await connection.query(
                "UPDATE refresh_families SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL RETURNING id",
                [time(stamp.revokedAt), .text(id)]
            )
            let sessionIDs = sessions.compactMap { $0.column("id")?.string }.sorted()
            let familyIDs = families.compactMap { $0.column("id")?.string }.sorted()
            for ended in sessionIDs + familyIDs {
                applied.revocations.append(try await append(stamp.entry(.session, id: ended), on: connection))
            }
            applied.revocations.append(try await append(stamp.entry(.user, id: id), on: connection))
            applied.sessionIDs += sessionIDs
            applied.familyIDs += familyIDs
            applied.account = try await connection.query("SELECT * FROM accounts WHERE id = ?", [.text(id)]).first.map(account(from:))
        }
    }
}
