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
}
