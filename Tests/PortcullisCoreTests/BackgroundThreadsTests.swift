import Foundation
import Synchronization
import Testing

@testable import PortcullisCore

#if canImport(Glibc)
import Glibc
#endif

/// The hashing pool's own threads: lower priority than request handling, as wide as asked.
@Suite("Background threads")
struct BackgroundThreadsTests {
    #if canImport(Glibc)
    @Test func jobsRunAtThePriorityAskedForAndTheCallerKeepsItsOwn() async throws {
        let idle = BlockingWorkPool(width: 2, priority: .idle)
        #expect(try await idle.run { sched_getscheduler(0) } == 5)  // SCHED_IDLE
        #expect(sched_getscheduler(0) == SCHED_OTHER)
        let low = BlockingWorkPool(width: 1, priority: .low)
        #expect(try await low.run { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) } == 19)
        #expect(try await low.run { sched_getscheduler(0) } == SCHED_OTHER)
        #expect(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) == 0)
        let normal = BlockingWorkPool(width: 1, priority: .normal)
        #expect(try await normal.run { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0) } == 0)
        #expect(try await normal.run { sched_getscheduler(0) } == SCHED_OTHER)
    }
    #endif

    #if canImport(Glibc)
    /// On Linux a thread inherits the scheduling class of the thread that creates it, and resuming
    /// a task may make the runtime create one: so the waiting task is resumed from a normal thread.
    @Test func aJobRunsAtIdlePriorityAndItsCompletionAtNormalPriority() async {
        let threads = BackgroundThreads(limit: 1, priority: .idle)
        let classes = Mutex<(job: Int32, completion: Int32)>((-1, -1))
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            threads.submit {
                classes.withLock { $0.job = sched_getscheduler(0) }
                return {
                    classes.withLock { $0.completion = sched_getscheduler(0) }
                    continuation.resume()
                }
            }
        }
        let seen = classes.withLock { $0 }
        #expect(seen.job == BackgroundThreads.idleSchedulingPolicy)
        #expect(seen.completion == SCHED_OTHER, "the waiting task was resumed from an idle-priority thread")
    }

    @Test func threadsAreNamedForTheOperator() async throws {
        let pool = BlockingWorkPool(width: 1, priority: .idle)
        let name = try await pool.run { try String(contentsOfFile: "/proc/thread-self/comm", encoding: .utf8) }
        #expect(name.trimmingCharacters(in: .whitespacesAndNewlines) == "portcullis-hash")
    }
    #endif

    @Test func asManyJobsRunAtOnceAsThePoolIsWide() async throws {
        let pool = BlockingWorkPool(width: 3, priority: .idle)
        let arrived = Arrivals()
        // Each job waits for the other two: only a pool running all three at once lets them meet.
        let met = try await withThrowingTaskGroup(of: Bool.self) { group in
            for _ in 0..<3 { group.addTask { try await pool.run { arrived.arriveAndWait(for: 3, atMost: 20) } } }
            return try await group.reduce(into: [Bool]()) { $0.append($1) }
        }
        #expect(met == [true, true, true])
        // And the threads serve later jobs too.
        #expect(try await pool.run { 42 } == 42)
    }

    /// A meeting point for jobs on different threads.
    final class Arrivals: Sendable {
        private let count = Mutex(0)

        func arriveAndWait(for expected: Int, atMost seconds: Double) -> Bool {
            count.withLock { $0 += 1 }
            let deadline = Date().addingTimeInterval(seconds)
            while Date() < deadline {
                if count.withLock({ $0 }) >= expected { return true }
                Thread.sleep(forTimeInterval: 0.01)
            }
            return false
        }
    }
}
