public import PortcullisCore
import PostgresNIO

extension PostgresStore {
    public func endAccess(_ scope: AccessScope, applying change: AccountChange?, stamp: RevocationStamp) async throws -> EndedAccess {
        let revokedAt = stamp.revokedAt.epochSeconds
        return try await transaction { connection in
            let logger = self.logger
            switch scope {
            case .session(let id, let owner):
                let deleted = try await Self.rows(
                    "DELETE FROM sessions WHERE id = \(id) AND account_id = COALESCE(\(owner), account_id) RETURNING id",
                    on: connection, logger: logger
                )
                guard !deleted.isEmpty else { return .nothing }
                let entry = try await Self.append(stamp.entry(.session, id: id), on: connection, logger: logger)
                return EndedAccess(sessionIDs: [id], familyIDs: [], account: nil, revocation: entry)
            case .refreshFamily(let id, let owner):
                let revoked = try await Self.rows(
                    """
                    UPDATE refresh_families SET revoked_at = \(revokedAt)
                    WHERE id = \(id) AND revoked_at IS NULL AND account_id = COALESCE(\(owner), account_id) RETURNING id
                    """,
                    on: connection, logger: logger
                )
                guard !revoked.isEmpty else { return .nothing }
                let entry = try await Self.append(stamp.entry(.session, id: id), on: connection, logger: logger)
                return EndedAccess(sessionIDs: [], familyIDs: [id], account: nil, revocation: entry)
            case .account(let id):
                let account = try await Self.apply(change ?? AccountChange(), toAccount: id, at: stamp.revokedAt, on: connection, logger: logger)
                let sessions = try await Self.rows("DELETE FROM sessions WHERE account_id = \(id) RETURNING id", on: connection, logger: logger)
                let families = try await Self.rows(
                    "UPDATE refresh_families SET revoked_at = \(revokedAt) WHERE account_id = \(id) AND revoked_at IS NULL RETURNING id",
                    on: connection, logger: logger
                )
                let sessionIDs = try sessions.map { try $0["id"].decode(String.self) }.sorted()
                let familyIDs = try families.map { try $0["id"].decode(String.self) }.sorted()
                for ended in sessionIDs + familyIDs { try await Self.append(stamp.entry(.session, id: ended), on: connection, logger: logger) }
                let entry = try await Self.append(stamp.entry(.user, id: id), on: connection, logger: logger)
                return EndedAccess(sessionIDs: sessionIDs, familyIDs: familyIDs, account: account, revocation: entry)
            }
        }
    }
}
