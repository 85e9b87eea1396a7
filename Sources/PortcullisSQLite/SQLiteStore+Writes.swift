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

    private static func perform(_ write: StoreWrite, stamp: RevocationStamp, on connection: SQLiteConnection, into applied: inout AppliedWrites) async throws {
        let now = stamp.revokedAt
        switch write {
        case .insertAccount(let account, let hash):
            try await insert(account, passwordHash: hash, on: connection)
            applied.account = account
        case .setPasswordHash(let accountID, let hash):
            _ = try await connection.query(updatePasswordHash, [.text(hash), time(now), .text(accountID)])
        case .changeAccount(let id, let change):
            applied.account = try await apply(change, toAccount: id, at: now, on: connection)
        case .endAccess(let scope):
            try await endAccess(scope, stamp: stamp, on: connection, into: &applied)
        case .insertOneTimeToken(let token):
            _ = try await connection.query(
                "INSERT INTO one_time_tokens (hash, purpose, account_id, email, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                [.blob(.init(bytes: token.hash)), .text(token.purpose.rawValue), .text(token.accountID), .text(token.email),
                 time(token.createdAt), time(token.expiresAt)]
            )
        case .useOneTimeToken(let hash, let purpose):
            let used = try await connection.query(
                """
                UPDATE one_time_tokens SET used_at = ? WHERE hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?
                RETURNING *
                """,
                [time(now), .blob(.init(bytes: hash)), .text(purpose.rawValue), time(now)]
            )
            guard let row = used.first, let token = oneTimeToken(from: row) else { throw StoreError(.unusable) }
            applied.usedToken = OneTimeToken(
                hash: token.hash, purpose: token.purpose, accountID: token.accountID, email: token.email,
                createdAt: token.createdAt, expiresAt: token.expiresAt
            )
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
        }
    }

    private static func endAccess(_ scope: AccessScope, stamp: RevocationStamp, on connection: SQLiteConnection, into applied: inout AppliedWrites) async throws {
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
                "DELETE FROM sessions WHERE account_id = ? AND id IS NOT COALESCE(?, '') RETURNING id", [.text(id), kept.map { .text($0) } ?? .null]
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
