#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The counts of one process, for the memory and SQLite stores (one instance per database).
///
/// An actor, so each reservation's read, decision and write happen without interleaving.
public actor MemoryAttemptLedger: AttemptLedger {
    private var attempts: [String: [(reservation: String, at: Date)]] = [:]
    private var keysByReservation: [String: [String]] = [:]

    /// An empty ledger.
    public init() {}

    public func reserve(
        _ reservation: String,
        under keys: [AttemptKey],
        at now: Date,
        admit: @escaping @Sendable ([String: [Date]]) -> Bool
    ) -> AttemptReservation {
        var recent: [String: [Date]] = [:]
        for key in keys {
            let kept = (attempts[key.key] ?? []).filter { $0.at > key.since }
            attempts[key.key] = kept
            recent[key.key] = Array(kept.reversed().prefix(key.limit).map(\.at))
        }
        guard admit(recent) else { return AttemptReservation(recorded: false, recent: recent) }
        for key in keys { attempts[key.key, default: []].append((reservation, now)) }
        keysByReservation[reservation] = keys.map(\.key)
        return AttemptReservation(recorded: true, recent: recent)
    }

    public func release(_ reservation: String) {
        for key in keysByReservation.removeValue(forKey: reservation) ?? [] {
            attempts[key]?.removeAll { $0.reservation == reservation }
            if attempts[key]?.isEmpty == true { attempts[key] = nil }
        }
    }

    public func purgeAttempts(before cutoff: Date) -> Int {
        var removed = 0
        for (key, list) in attempts {
            let kept = list.filter { $0.at >= cutoff }
            removed += list.count - kept.count
            attempts[key] = kept.isEmpty ? nil : kept
        }
        let live = Set(attempts.values.joined().map(\.reservation))
        keysByReservation = keysByReservation.filter { live.contains($0.key) }
        return removed
    }
}
