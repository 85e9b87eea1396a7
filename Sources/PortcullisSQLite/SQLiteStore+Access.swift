public import PortcullisCore
import SQLiteNIO

extension SQLiteStore {
    public func endAccess(_ scope: AccessScope, applying change: AccountChange?, stamp: RevocationStamp) async throws -> EndedAccess {
        try await transaction { connection in
            switch scope {
            case .session(let id, let owner):
                let deleted = try await connection.query(
                    "DELETE FROM sessions WHERE id = ? AND account_id = COALESCE(?, account_id) RETURNING id",
                    [.text(id), owner.map { .text($0) } ?? .null]
                )
                guard !deleted.isEmpty else { return .nothing }
                let entry = try await Self.append(stamp.entry(.session, id: id), on: connection)
                return EndedAccess(sessionIDs: [id], familyIDs: [], account: nil, revocation: entry)
            case .refreshFamily(let id, let owner):
                let revoked = try await connection.query(
                    "UPDATE refresh_families SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL AND account_id = COALESCE(?, account_id) RETURNING id",
                    [Self.time(stamp.revokedAt), .text(id), owner.map { .text($0) } ?? .null]
                )
                guard !revoked.isEmpty else { return .nothing }
                let entry = try await Self.append(stamp.entry(.session, id: id), on: connection)
                return EndedAccess(sessionIDs: [], familyIDs: [id], account: nil, revocation: entry)
            case .account(let id):
                let account = try await Self.apply(change ?? AccountChange(), toAccount: id, at: stamp.revokedAt, on: connection)
                let sessions = try await connection.query("DELETE FROM sessions WHERE account_id = ? RETURNING id", [.text(id)])
                let families = try await connection.query(
                    "UPDATE refresh_families SET revoked_at = ? WHERE account_id = ? AND revoked_at IS NULL RETURNING id",
                    [Self.time(stamp.revokedAt), .text(id)]
                )
                let sessionIDs = sessions.compactMap { $0.column("id")?.string }.sorted()
                let familyIDs = families.compactMap { $0.column("id")?.string }.sorted()
                for ended in sessionIDs + familyIDs { try await Self.append(stamp.entry(.session, id: ended), on: connection) }
                let entry = try await Self.append(stamp.entry(.user, id: id), on: connection)
                return EndedAccess(sessionIDs: sessionIDs, familyIDs: familyIDs, account: account, revocation: entry)
            }
        }
    }
}
