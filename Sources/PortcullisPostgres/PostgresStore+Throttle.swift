public import PortcullisCore
import PostgresNIO

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The throttle's counts in the shared database, so every instance counts against one allowance.
///
/// A reservation locks its keys (transaction-scoped advisory locks, taken in a fixed order so two
/// reservations never deadlock), reads, lets the throttle decide and writes in one transaction:
/// two instances can never both read "under the limit" and both proceed. Times are milliseconds,
/// so the window slides smoothly. (The throttle remembers refusals in memory, so a flood against
/// a full key does not reach this at all.)
extension PostgresStore: AttemptLedger {
    /// The advisory-lock class of throttle keys (the second half of each lock is the key's hash).
    static let throttleLockClass: Int32 = 7_415_202

    public var attemptLedger: any AttemptLedger { self }

    public func reserve(
        _ reservation: String,
        under keys: [AttemptKey],
        at now: Date,
        admit: @escaping @Sendable ([String: [Date]]) -> Bool
    ) async throws -> AttemptReservation {
        let nowMilliseconds = Self.milliseconds(now)
        return try await transaction { connection in
            let logger = self.logger
            // A flood queued on one key's lock gives up within the operation bound (503) instead
            // of holding pooled connections for longer than any caller waits.
            let bound = PostgresQuery(unsafeSQL: "SET LOCAL lock_timeout = '\(self.operationTimeout.components.seconds)s'")
            _ = try await connection.query(bound, logger: logger)
            for key in keys.sorted(by: { $0.key < $1.key }) {
                _ = try await connection.query("SELECT pg_advisory_xact_lock(\(Self.throttleLockClass), hashtext(\(key.key)))", logger: logger)
            }
            var recent: [String: [Date]] = [:]
            for key in keys {
                let since = Self.milliseconds(key.since)
                // What has left the window will never count again.
                _ = try await connection.query("DELETE FROM throttle_attempts WHERE key = \(key.key) AND attempted_at <= \(since)", logger: logger)
                let rows = try await Self.rows(
                    "SELECT attempted_at FROM throttle_attempts WHERE key = \(key.key) ORDER BY attempted_at DESC LIMIT \(key.limit)",
                    on: connection,
                    logger: logger
                )
                recent[key.key] = try rows.map { Date(timeIntervalSince1970: Double(try $0["attempted_at"].decode(Int64.self)) / 1000) }
            }
            guard admit(recent) else { return AttemptReservation(recorded: false, recent: recent) }
            for key in keys {
                _ = try await connection.query(
                    "INSERT INTO throttle_attempts (reservation, key, attempted_at) VALUES (\(reservation), \(key.key), \(nowMilliseconds))",
                    logger: logger
                )
            }
            return AttemptReservation(recorded: true, recent: recent)
        }
    }

    public func release(_ reservation: String) async throws {
        _ = try await rows("DELETE FROM throttle_attempts WHERE reservation = \(reservation)")
    }

    public func purgeAttempts(before cutoff: Date) async throws -> Int {
        try await rows(
            "WITH gone AS (DELETE FROM throttle_attempts WHERE attempted_at < \(Self.milliseconds(cutoff)) RETURNING 1) SELECT count(*) AS n FROM gone"
        ).first.map { try $0["n"].decode(Int.self) } ?? 0
    }

    private static func milliseconds(_ date: Date) -> Int64 {
        Int64((date.timeIntervalSince1970 * 1000).rounded(.down))
    }
}
