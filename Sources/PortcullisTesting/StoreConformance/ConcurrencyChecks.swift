import Foundation
import PortcullisCore
import Synchronization
import Testing

extension StoreConformance {
    /// What a store must guarantee when many requests, on several instances, arrive at once.
    static let concurrencyChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("concurrentAppendsFromTwoInstancesAreAllSeenByAReaderInCursorOrder") { backend in
            try await backend.withTwoStores { a, b in
                // SQLite has one writer at a time by construction; a lighter load proves as much there.
                let writers = 8
                let appendsPerWriter = backend.writesOneAtATime ? 15 : 40
                let writing = WritersRunning()
                let reader = Task {
                    var seen: [Int64] = []
                    var cursor: Int64 = 0
                    var quietRounds = 0
                    // Follows the log as a verifier does, until the writers are done and it is quiet.
                    while quietRounds < 20 {
                        let page = try await a.revocations(after: cursor, now: Self.t0, limit: 50)
                        for entry in page {
                            #expect(entry.cursor > cursor, "cursors went backwards")
                            seen.append(entry.cursor)
                            cursor = entry.cursor
                        }
                        quietRounds = page.isEmpty && !writing.value ? quietRounds + 1 : 0
                        if page.isEmpty { try? await Task.sleep(for: .milliseconds(2)) }
                    }
                    return seen
                }
                let appended = try await withThrowingTaskGroup(of: [Int64].self) { group in
                    for writer in 0..<writers {
                        let store = writer.isMultiple(of: 2) ? a : b
                        group.addTask {
                            var cursors: [Int64] = []
                            for index in 0..<appendsPerWriter {
                                let entry = Revocation(
                                    kind: .token,
                                    id: "w\(writer)-\(index)",
                                    revokedAt: Self.t0,
                                    expiresAt: Self.t0.addingTimeInterval(600)
                                )
                                cursors.append(try await store.appendRevocation(entry).cursor)
                            }
                            return cursors
                        }
                    }
                    return try await group.reduce(into: []) { $0 += $1 }
                }
                writing.finish()
                let seen = try await reader.value
                #expect(Set(appended).count == writers * appendsPerWriter)
                let missed = Set(appended).subtracting(seen)
                #expect(missed.isEmpty, "the reader missed \(missed.count) of \(appended.count) entries")
                #expect(seen == seen.sorted())
            }
        },
        StoreConformanceCheck("concurrentThrottleReservationsNeverExceedTheLimit") { backend in
            try await backend.withTwoStores { a, b in
                let key = AttemptKey(key: "k", limit: 10, since: Self.t0.addingTimeInterval(-900))
                // The reservations admitted, by id, and whether they went through `a`.
                let admitted = try await withThrowingTaskGroup(of: (String, Bool)?.self) { group in
                    for index in 0..<60 {
                        let throughA = index.isMultiple(of: 2)
                        let ledger = throughA ? a.attemptLedger : b.attemptLedger
                        group.addTask {
                            let recorded = try await ledger.reserve("r\(index)", under: [key], at: Self.t0) {
                                $0["k", default: []].count < 10
                            }.recorded
                            return recorded ? ("r\(index)", throughA) : nil
                        }
                    }
                    return try await group.reduce(into: [(String, Bool)]()) { if let each = $1 { $0.append(each) } }
                }
                // A backend may keep counts per process (SQLite does): then each instance admits its own ten.
                if !backend.sharesAttemptCountsBetweenInstances {
                    #expect(admitted.count == 20)
                } else {
                    #expect(admitted.count == 10)
                }
                // A released reservation frees its place, on the instance that counted it; a purge
                // forgets what no window reaches.
                let (released, throughA) = try #require(admitted.first)
                let ledger = throughA ? a.attemptLedger : b.attemptLedger
                try await ledger.release(released)
                let again = try await ledger.reserve("again", under: [key], at: Self.t0) { $0["k", default: []].count < 10 }
                #expect(again.recorded)
                #expect(try await a.attemptLedger.purgeAttempts(before: Self.t0.addingTimeInterval(1)) >= 10)
            }
        },
    ]
}

/// Tells a reader that the writers it follows have finished.
final class WritersRunning: Sendable {
    private let running = Atomic<Bool>(true)
    var value: Bool { running.load(ordering: .acquiring) }
    func finish() { running.store(false, ordering: .releasing) }
}
