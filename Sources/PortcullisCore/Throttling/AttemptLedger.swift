#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where a ``CredentialThrottle`` keeps its counts.
///
/// A reservation is atomic for all its keys together: the ledger reads what it holds, lets the
/// throttle's rule decide, and records the attempt in one step, so concurrent requests can never
/// all read "under the limit" and all proceed. The in-memory ledger serves a single instance (the
/// memory and SQLite stores); PostgreSQL keeps the counts in the shared database, so every
/// instance counts against one allowance.
public protocol AttemptLedger: Sendable {
    /// Reads, for each key, the attempts recorded after its ``AttemptKey/since`` (newest first, at
    /// most its ``AttemptKey/limit``); when `admit` accepts them, records one attempt at `now` under
    /// every key, labelled `reservation`. All of it happens atomically.
    /// - Returns: whether the attempt was recorded, and what was read (by ``AttemptKey/key``).
    func reserve(
        _ reservation: String,
        under keys: [AttemptKey],
        at now: Date,
        admit: @escaping @Sendable ([String: [Date]]) -> Bool
    ) async throws -> AttemptReservation

    /// Removes the attempts recorded with `reservation` (a sign-in that succeeded is not a failure).
    func release(_ reservation: String) async throws

    /// Deletes attempts made before `cutoff`, which no window reaches any more. - Returns: how many.
    func purgeAttempts(before cutoff: Date) async throws -> Int
}

/// One count a reservation is checked against: the attempts under ``key`` since ``since``, of
/// which at most ``limit`` are allowed.
public struct AttemptKey: Sendable, Hashable {
    /// An opaque key (a hash: the ledger never sees an email address or a client address).
    public let key: String
    /// How many attempts the window allows.
    public let limit: Int
    /// The start of the sliding window.
    public let since: Date

    /// Creates a key.
    public init(key: String, limit: Int, since: Date) {
        self.key = key
        self.limit = limit
        self.since = since
    }
}

/// What a reservation found and did.
public struct AttemptReservation: Sendable {
    /// Whether the attempt was admitted and recorded.
    public let recorded: Bool
    /// The attempts read per key, newest first.
    public let recent: [String: [Date]]

    /// Creates the answer.
    public init(recorded: Bool, recent: [String: [Date]]) {
        self.recorded = recorded
        self.recent = recent
    }
}
