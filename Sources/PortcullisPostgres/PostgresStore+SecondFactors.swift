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
    /// so two requests presenting the same code at the same moment cannot both succeed. A change
    /// of factors first takes the account row `FOR UPDATE`, which a sign-in's
    /// `requireCredential` (`FOR SHARE`) conflicts with: a sign-in and a change are ordered, so the
    /// change's end of the other sessions sees every session a sign-in stored before it, and a
    /// sign-in after it sees the factor (``StoreWrite/requireNoSecondFactor(accountID:)``). Two
    /// changes of one account are ordered the same way.
    static func performSecondFactor(_ write: StoreWrite, now: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        switch write {
        case .confirmTOTP(let accountID, _, _), .removeTOTP(let accountID), .replaceRecoveryCodes(let accountID, _):
            _ = try await rows("SELECT 1 FROM accounts WHERE id = \(accountID) FOR UPDATE", on: connection, logger: logger)
        default:
            break
        }
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
        case .confirmTOTP(let accountID, let sealedKey, let step):
            let confirmed = try await rows(
                """
                UPDATE totp_credentials SET confirmed_at = \(now), last_used_step = \(step)
                WHERE account_id = \(accountID) AND sealed_key = \(ByteBuffer(bytes: sealedKey)) AND confirmed_at IS NULL
                RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !confirmed.isEmpty else { throw StoreError(.unusable) }
        case .useTOTPStep(let accountID, let sealedKey, let step):
            let used = try await rows(
                """
                UPDATE totp_credentials SET last_used_step = \(step)
                WHERE account_id = \(accountID) AND sealed_key = \(ByteBuffer(bytes: sealedKey)) AND confirmed_at IS NOT NULL
                    AND (last_used_step IS NULL OR last_used_step < \(step))
                RETURNING account_id
                """,
                on: connection,
                logger: logger
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        case .requireNoSecondFactor(let accountID):
            let confirmed = try await rows(
                "SELECT 1 FROM totp_credentials WHERE account_id = \(accountID) AND confirmed_at IS NOT NULL",
                on: connection,
                logger: logger
            )
            guard confirmed.isEmpty else { throw StoreError(.changed) }
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
            // Not a second-factor write: `perform` sends only those here.
            throw StoreError(.unusable)
        }
    }
}
