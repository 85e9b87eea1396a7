import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// How readily a background thread gives the CPU to the threads that answer requests.
///
/// On Linux both are per-thread attributes, so the rest of the process keeps its own.
/// Elsewhere every priority schedules like ``normal``.
public enum BackgroundPriority: String, Sendable, CaseIterable {
    /// Scheduled like every other thread: sign-ins and requests share the CPU evenly.
    case normal
    /// Nice value 19: the kernel's fair scheduler gives the thread about 1/70 of a contended core.
    case low
    /// The kernel's `SCHED_IDLE` class: the thread runs when no other thread wants the CPU, and
    /// any waking request thread preempts it at once. It is never starved outright (the kernel
    /// still grants it a sliver), so queued work finishes even on a saturated server, slowly.
    case idle
}

/// Threads of their own for CPU-heavy jobs (password hashing), running at a lower scheduling
/// priority than the threads that answer requests.
///
/// On a machine with few cores, a burst of sign-ins would otherwise take every core from request
/// handling and multiply everyone's latency. Each thread lowers its own priority
/// (``BackgroundPriority``), so the kernel gives request threads the CPU first and hashing the
/// rest: alone, hashing still uses every core; under request load, sign-ins slow down instead of
/// everything else. Threads start on demand and end after a minute without work.
final class BackgroundThreads: Sendable {
    private struct State {
        var jobs: [@Sendable () -> Void] = []
        var next = 0
        var running = 0
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let limit: Int
    private let priority: BackgroundPriority

    /// At most `limit` threads, each at `priority`.
    init(limit: Int, priority: BackgroundPriority) {
        self.limit = max(1, limit)
        self.priority = priority
    }

    /// Runs `job` on one of the threads, starting one if all are busy and the limit allows.
    func submit(_ job: @escaping @Sendable () -> Void) {
        let start = state.withLock { state in
            state.jobs.append(job)
            guard state.running < limit else { return false }
            state.running += 1
            return true
        }
        wakeUp.signal()
        if start { startThread() }
    }

    private func startThread() {
        let thread = Thread { [self] in
            Self.lowerCallingThread(to: priority)
            while let job = nextJob() { job() }
        }
        thread.name = "portcullis-background"
        thread.start()
    }

    /// The next job, waiting up to a minute for one; `nil` when the thread should end.
    private func nextJob() -> (@Sendable () -> Void)? {
        while true {
            let timedOut = wakeUp.wait(timeout: .now() + 60) == .timedOut
            let job: (@Sendable () -> Void)?? = state.withLock { state in
                if state.next < state.jobs.count {
                    let job = state.jobs[state.next]
                    state.next += 1
                    if state.next == state.jobs.count {
                        state.jobs.removeAll(keepingCapacity: true)
                        state.next = 0
                    }
                    return .some(job)
                }
                guard timedOut else { return .some(nil) }  // a wake-up whose job another thread took
                state.running -= 1
                return .none
            }
            switch job {
            case .some(.some(let job)): return job
            case .some(.none): continue
            case .none: return nil
            }
        }
    }

    /// Linux's `SCHED_IDLE` policy number (a stable kernel ABI value that Glibc only names under
    /// `_GNU_SOURCE`).
    static let idleSchedulingPolicy: Int32 = 5

    /// Applies `priority` to the calling thread only: on Linux, `setpriority(PRIO_PROCESS, 0, …)`
    /// and `sched_setscheduler(0, …)` act on the calling thread, not the whole process.
    private static func lowerCallingThread(to priority: BackgroundPriority) {
        #if canImport(Glibc)
        switch priority {
        case .normal:
            break
        case .low:
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 19)
        case .idle:
            var parameters = sched_param(sched_priority: 0)
            _ = sched_setscheduler(0, idleSchedulingPolicy, &parameters)
        }
        #endif
    }
}
