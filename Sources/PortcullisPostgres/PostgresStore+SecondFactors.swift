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

    public func passkeys(accountID: String) async throws -> [Passkey] {
        try await rows("SELECT * FROM passkeys WHERE account_id = \(accountID) ORDER BY created_at, id").map(Self.passkey)
    }

    public func passkey(id: String) async throws -> Passkey? {
        try await rows("SELECT * FROM passkeys WHERE id = \(id)").first.map(Self.passkey)
    }

    private static func passkey(_ row: PostgresRandomAccessRow) throws -> Passkey {
        Passkey(
            id: try row["id"].decode(String.self),
            accountID: try row["account_id"].decode(String.self),
            name: try row["name"].decode(String.self),
            publicKey: try bytes(row, "public_key"),
            signCount: UInt32(clamping: try row["sign_count"].decode(Int64.self)),
            isBackupEligible: try row["backup_eligible"].decode(Bool.self),
            transports: try row["transports"].decode(String.self).split(separator: " ").map(String.init),
            createdAt: try date(row, "created_at"),
            lastUsedAt: try optionalDate(row, "last_used_at")
        )
    }

    /// The second-factor writes of ``apply(_:stamp:)``. Each use is one conditional statement,
    /// so two requests presenting the same code at the same moment cannot both succeed. A change
    /// of factors first takes the account row `FOR UPDATE`, which a sign-in's
    /// `requireCredential` (`FOR SHARE`) conflicts with: a sign-in and a change are ordered, so the
    /// change's end of the other sessions sees every session a sign-in stored before it, and a
    /// sign-in after it sees the factor (``StoreWrite/requireNoSecondFactor(accountID:)``). Two
    /// changes of one account are ordered the same way.
    static func performSecondFactor(_ write: StoreWrite, now: Int64, on connection: PostgresConnection, logger: Logger) async throws {
        let changedAccount: String? =
            switch write {
            case .confirmTOTP(let accountID, _, _), .removeTOTP(let accountID), .replaceRecoveryCodes(let accountID, _),
                .removePasskey(_, let accountID):
                accountID
            case .insertPasskey(let passkey): passkey.accountID
            default: nil
            }
        if let changedAccount {
            _ = try await rows("SELECT 1 FROM accounts WHERE id = \(changedAccount) FOR UPDATE", on: connection, logger: logger)
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
                """
                SELECT 1 FROM totp_credentials WHERE account_id = \(accountID) AND confirmed_at IS NOT NULL
                UNION ALL SELECT 1 FROM passkeys WHERE account_id = \(accountID)
                """,
                on: connection,
                logger: logger
            )
            guard confirmed.isEmpty else { throw StoreError(.changed) }
        case .requireSecondFactor(let accountID):
            // After the removal it follows, which took the account row: concurrent removals are
            // ordered, and this sees what the earlier ones deleted.
            let held = try await rows(
                """
                SELECT 1 FROM totp_credentials WHERE account_id = \(accountID) AND confirmed_at IS NOT NULL
                UNION ALL SELECT 1 FROM passkeys WHERE account_id = \(accountID)
                """,
                on: connection,
                logger: logger
            )
            guard !held.isEmpty else { throw StoreError(.changed) }
        case .insertPasskey(let passkey):
            let stored = try await rows(
                """
                INSERT INTO passkeys (id, account_id, name, public_key, sign_count, backup_eligible, transports, created_at)
                VALUES (\(passkey.id), \(passkey.accountID), \(passkey.name), \(ByteBuffer(bytes: passkey.publicKey)),
                    \(Int64(passkey.signCount)), \(passkey.isBackupEligible), \(passkey.transports.joined(separator: " ")),
                    \(passkey.createdAt.epochSeconds))
                ON CONFLICT (id) DO NOTHING RETURNING id
                """,
                on: connection,
                logger: logger
            )
            guard !stored.isEmpty else { throw StoreError.duplicate }
        case .usePasskey(let id, let accountID, let signCount, let newSignCount):
            // FOR SHARE orders the sign-in with a disable of the account, as requireCredential does.
            let enabled = try await rows(
                "SELECT 1 FROM accounts WHERE id = \(accountID) AND disabled_at IS NULL FOR SHARE",
                on: connection,
                logger: logger
            )
            guard !enabled.isEmpty else { throw StoreError(.unusable) }
            let used = try await rows(
                """
                UPDATE passkeys SET sign_count = \(Int64(newSignCount)), last_used_at = \(now)
                WHERE id = \(id) AND account_id = \(accountID) AND sign_count = \(Int64(signCount))
                RETURNING id
                """,
                on: connection,
                logger: logger
            )
            guard !used.isEmpty else { throw StoreError(.unusable) }
        case .renamePasskey(let id, let accountID, let name):
            let renamed = try await rows(
                "UPDATE passkeys SET name = \(name) WHERE id = \(id) AND account_id = \(accountID) RETURNING id",
                on: connection,
                logger: logger
            )
            guard !renamed.isEmpty else { throw StoreError(.unusable) }
        case .removePasskey(let id, let accountID):
            let removed = try await rows(
                "DELETE FROM passkeys WHERE id = \(id) AND account_id = \(accountID) RETURNING id",
                on: connection,
                logger: logger
            )
            guard !removed.isEmpty else { throw StoreError(.unusable) }
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
