import Logging
public import PortcullisCore
import PostgresNIO

extension PostgresStore {
    public func totpCredential(accountID: String) async throws -> TOTPCredential? {
        try await rows("SELECT * FROM totp_credentials WHERE account_id = \(accountID)").first.map { row in
            TOTPCredential(
                accountID: accountID,
                sealedKey: try Self.bytes(row, "sealed_key"),
                createdAt: try Self.date(row, "created_at"),
                confirmedAt: try Self.optionalDate(row, "confirmed_at"),
                lastUsedStep: try row["last_used_step"].decode(Int64?.self)
            )
        }
    }

    public func unusedRecoveryCodeCount(accountID: String) async throws -> Int {
        let counted = try await rows("SELECT COUNT(*) AS unused FROM recovery_codes WHERE account_id = \(accountID) AND used_at IS NULL")
        return Int(try counted.first?["unused"].decode(Int64.self) ?? 0)
    }

    /// The second-factor writes of ``apply(_:stamp:)``. Each use is one conditional statement,
    /// so two requests presenting the same code at the same moment cannot both succeed.
    static func performSecondFactor(_ write: StoreWrite, now: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        switch write {
        case .beginTOTP(let credential):
            // Replaces a pending key only: a confirmed one makes the upsert change nothing.
            let stored = try await rows(
                """
                INSERT INTO totp_credentials (account_id, sealed_key, created_at)
                VALUES (\(credential.accountID), \(ByteBuffer(bytes: credential.sealedKey)), \(credential.createdAt.epochSeconds))
                ON CONFLICT (account_id) DO UPDATE SET sealed_key = excluded.sealed_key, created_at = excluded.created_at,
                    last_used_step = NULL
                WHERE totp_credentials.confirmed_at IS NULL
                RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !stored.isEmpty else { throw StoreError.duplicate }
        case .confirmTOTP(let accountID, let step):
            let confirmed = try await rows(
                """
                UPDATE totp_credentials SET confirmed_at = \(now), last_used_step = \(step)
                WHERE account_id = \(accountID) AND confirmed_at IS NULL RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !confirmed.isEmpty else { throw StoreError(.unusable) }
        case .useTOTPStep(let accountID, let step):
            let used = try await rows(
                """
                UPDATE totp_credentials SET last_used_step = \(step)
                WHERE account_id = \(accountID) AND confirmed_at IS NOT NULL AND (last_used_step IS NULL OR last_used_step < \(step))
                RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        case .removeTOTP(let accountID):
            _ = try await connection.query("DELETE FROM totp_credentials WHERE account_id = \(accountID)", logger: logger)
            _ = try await connection.query("DELETE FROM recovery_codes WHERE account_id = \(accountID)", logger: logger)
        case .replaceRecoveryCodes(let accountID, let hashes):
            _ = try await connection.query("DELETE FROM recovery_codes WHERE account_id = \(accountID)", logger: logger)
            for hash in Set(hashes) {
                _ = try await connection.query(
                    "INSERT INTO recovery_codes (account_id, code_hash) VALUES (\(accountID), \(ByteBuffer(bytes: hash)))",
                    logger: logger
                )
            }
        case .useRecoveryCode(let accountID, let hash):
            let used = try await rows(
                """
                UPDATE recovery_codes SET used_at = \(now)
                WHERE account_id = \(accountID) AND code_hash = \(ByteBuffer(bytes: hash)) AND used_at IS NULL RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        default:
            preconditionFailure("not a second-factor write")
        }
    }
}
