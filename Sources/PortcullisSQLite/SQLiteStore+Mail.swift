public import PortcullisCore
import SQLiteNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension SQLiteStore {
    // MARK: One-time tokens

    public func oneTimeToken(hash: [UInt8]) async throws -> OneTimeToken? {
        try await read("SELECT * FROM one_time_tokens WHERE hash = ?", [.blob(.init(bytes: hash))]).first.flatMap(Self.oneTimeToken(from:))
    }

    public func deleteExpiredOneTimeTokens(now: Date) async throws -> Int {
        try await transaction { connection in
            _ = try await connection.query("DELETE FROM one_time_tokens WHERE expires_at <= ?", [Self.time(now)])
            return try await Self.changes(on: connection)
        }
    }

    static func oneTimeToken(from row: SQLiteRow) -> OneTimeToken? {
        guard let purpose = row.column("purpose")?.string.flatMap(OneTimeToken.Purpose.init(rawValue:)) else { return nil }
        return OneTimeToken(
            hash: row.column("hash")?.blob.map { Array($0.readableBytesView) } ?? [],
            purpose: purpose,
            accountID: row.column("account_id")?.string ?? "",
            email: row.column("email")?.string ?? "",
            createdAt: date(row, "created_at"),
            expiresAt: date(row, "expires_at"),
            usedAt: optionalDate(row, "used_at"),
            staySignedIn: row.column("stay_signed_in")?.integer == 1
        )
    }

    // MARK: The outbox

    public func claimMail(now: Date, lease: Duration, limit: Int) async throws -> [OutboxMail] {
        // One writer at a time: the select and the claim cannot interleave with another claim.
        try await transaction { connection in
            let due = try await connection.query(
                """
                SELECT * FROM mail_outbox WHERE finished_at IS NULL AND next_attempt_at <= ? AND (claimed_until IS NULL OR claimed_until <= ?)
                ORDER BY created_at, id LIMIT ?
                """,
                [Self.time(now), Self.time(now), .integer(limit)]
            ).map(Self.outboxMail(from:))
            for mail in due {
                _ = try await connection.query(
                    "UPDATE mail_outbox SET claimed_until = ? WHERE id = ?",
                    [Self.time(now.addingTimeInterval(lease.timeInterval)), .text(mail.id)]
                )
            }
            return due
        }
    }

    public func markMailSent(id: String, at now: Date) async throws {
        _ = try await write(
            "UPDATE mail_outbox SET finished_at = ?, sealed_content = NULL, claimed_until = NULL WHERE id = ?",
            [Self.time(now), .text(id)]
        )
    }

    public func markMailFailed(id: String, at now: Date, nextAttemptAt: Date, giveUp: Bool) async throws {
        _ = try await write(
            """
            UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = ?, claimed_until = NULL,
                finished_at = CASE WHEN ? THEN ? END, sealed_content = CASE WHEN ? THEN NULL ELSE sealed_content END
            WHERE id = ?
            """,
            [Self.time(nextAttemptAt), .integer(giveUp ? 1 : 0), Self.time(now), .integer(giveUp ? 1 : 0), .text(id)]
        )
    }

    public func pendingMailCount() async throws -> Int {
        try await read("SELECT count(*) AS n FROM mail_outbox WHERE finished_at IS NULL").first?.column("n")?.integer ?? 0
    }

    public func deleteFinishedMail(before cutoff: Date) async throws -> Int {
        try await transaction { connection in
            _ = try await connection.query("DELETE FROM mail_outbox WHERE finished_at < ?", [Self.time(cutoff)])
            return try await Self.changes(on: connection)
        }
    }

    private static func outboxMail(from row: SQLiteRow) -> OutboxMail {
        OutboxMail(
            id: row.column("id")?.string ?? "",
            sealedContent: row.column("sealed_content")?.blob.map { Array($0.readableBytesView) } ?? [],
            createdAt: date(row, "created_at"),
            attempts: row.column("attempts")?.integer ?? 0,
            nextAttemptAt: date(row, "next_attempt_at")
        )
    }
}
