public import PortcullisCore
import SQLiteNIO

extension SQLiteStore {
    public func totpCredential(accountID: String) async throws -> TOTPCredential? {
        try await read("SELECT * FROM totp_credentials WHERE account_id = ?", [.text(accountID)]).first.map { row in
            TOTPCredential(
                accountID: accountID,
                sealedKey: row.column("sealed_key")?.blob.map { Array($0.readableBytesView) } ?? [],
                createdAt: Self.date(row, "created_at"),
                confirmedAt: Self.optionalDate(row, "confirmed_at"),
                lastUsedStep: row.column("last_used_step").flatMap { $0.isNull ? nil : $0.integer.map(Int64.init) }
            )
        }
    }

    public func unusedRecoveryCodeCount(accountID: String) async throws -> Int {
        try await read("SELECT COUNT(*) AS unused FROM recovery_codes WHERE account_id = ? AND used_at IS NULL", [.text(accountID)])
            .first?.column("unused")?.integer ?? 0
    }

    public func passkeys(accountID: String) async throws -> [Passkey] {
        try await read("SELECT * FROM passkeys WHERE account_id = ? ORDER BY created_at, id", [.text(accountID)]).map(Self.passkey)
    }

    public func passkey(id: String) async throws -> Passkey? {
        try await read("SELECT * FROM passkeys WHERE id = ?", [.text(id)]).first.map(Self.passkey)
    }

    private static func passkey(_ row: SQLiteRow) -> Passkey {
        Passkey(
            id: row.column("id")?.string ?? "",
            accountID: row.column("account_id")?.string ?? "",
            name: row.column("name")?.string ?? "",
            publicKey: row.column("public_key")?.blob.map { Array($0.readableBytesView) } ?? [],
            signCount: UInt32(clamping: row.column("sign_count")?.integer ?? 0),
            isBackupEligible: row.column("backup_eligible")?.integer == 1,
            transports: (row.column("transports")?.string ?? "").split(separator: " ").map(String.init),
            createdAt: date(row, "created_at"),
            lastUsedAt: optionalDate(row, "last_used_at")
        )
    }
}
