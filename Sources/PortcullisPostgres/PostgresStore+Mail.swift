public import PortcullisCore
import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

extension PostgresStore {
    // MARK: One-time tokens

    public func oneTimeToken(hash: [UInt8]) async throws -> OneTimeToken? {
        try await rows("SELECT * FROM one_time_tokens WHERE hash = \(ByteBuffer(bytes: hash))").first.flatMap(Self.oneTimeToken(from:))
    }

    public func deleteExpiredOneTimeTokens(now: Date) async throws -> Int {
        try await rows(
            "WITH gone AS (DELETE FROM one_time_tokens WHERE expires_at <= \(now.epochSeconds) RETURNING 1) SELECT count(*) AS n FROM gone"
        ).first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    static func oneTimeToken(from row: PostgresRandomAccessRow) throws -> OneTimeToken? {
        guard let purpose = OneTimeToken.Purpose(rawValue: try row["purpose"].decode(String.self)) else { return nil }
        return OneTimeToken(
            hash: try bytes(row, "hash"),
            purpose: purpose,
            accountID: try row["account_id"].decode(String.self),
            email: try row["email"].decode(String.self),
            createdAt: try date(row, "created_at"),
            expiresAt: try date(row, "expires_at"),
            usedAt: try optionalDate(row, "used_at"),
            staySignedIn: try row["stay_signed_in"].decode(Bool.self)
        )
    }

    // MARK: The outbox

    /// Claims with `FOR UPDATE SKIP LOCKED`: instances claiming at the same moment take different
    /// messages, and none waits on another's.
    public func claimMail(now: Date, lease: Duration, limit: Int) async throws -> [OutboxMail] {
        let seconds = now.epochSeconds
        let until = now.addingTimeInterval(lease.timeInterval).epochSeconds
        return try await rows(
            """
            UPDATE mail_outbox SET claimed_until = \(until) WHERE id IN (
                SELECT id FROM mail_outbox
                WHERE finished_at IS NULL AND next_attempt_at <= \(seconds) AND (claimed_until IS NULL OR claimed_until <= \(seconds))
                ORDER BY created_at, id LIMIT \(limit) FOR UPDATE SKIP LOCKED)
            RETURNING *
            """
        ).map(Self.outboxMail(from:)).sorted { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
    }

    public func markMailSent(id: String, at now: Date) async throws {
        _ = try await rows("UPDATE mail_outbox SET finished_at = \(now.epochSeconds), sealed_content = NULL, claimed_until = NULL WHERE id = \(id)")
    }

    public func markMailFailed(id: String, at now: Date, nextAttemptAt: Date, giveUp: Bool) async throws {
        let finished: Int64? = giveUp ? now.epochSeconds : nil
        _ = try await rows(
            """
            UPDATE mail_outbox SET attempts = attempts + 1, next_attempt_at = \(nextAttemptAt.epochSeconds), claimed_until = NULL,
                finished_at = \(finished), sealed_content = CASE WHEN \(giveUp) THEN NULL ELSE sealed_content END
            WHERE id = \(id)
            """
        )
    }

    public func pendingMailCount() async throws -> Int {
        try await rows("SELECT count(*) AS n FROM mail_outbox WHERE finished_at IS NULL").first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    public func deleteFinishedMail(before cutoff: Date) async throws -> Int {
        try await rows(
            "WITH gone AS (DELETE FROM mail_outbox WHERE finished_at < \(cutoff.epochSeconds) RETURNING 1) SELECT count(*) AS n FROM gone"
        ).first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    private static func outboxMail(from row: PostgresRandomAccessRow) throws -> OutboxMail {
        OutboxMail(
            id: try row["id"].decode(String.self),
            sealedContent: try row["sealed_content"].decode(ByteBuffer?.self).map { Array($0.readableBytesView) } ?? [],
            createdAt: try date(row, "created_at"),
            attempts: try row["attempts"].decode(Int.self),
            nextAttemptAt: try date(row, "next_attempt_at")
        )
    }
}
