import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Threads of their own for CPU-heavy jobs (password hashing), running at a lower scheduling
/// priority than the threads that answer requests.
///
/// On a machine with few cores, a burst of sign-ins would otherwise take every core from request
/// handling and multiply everyone's latency. Each thread lowers its own nice value (a per-thread
/// attribute on Linux), so the kernel gives request threads the CPU first and hashing the rest:
/// alone, hashing still uses every core; under request load, sign-ins slow down instead of
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
    private let niceness: Int32

    /// At most `limit` threads, each at nice value `niceness` (0 to 19; higher yields more).
    init(limit: Int, niceness: Int32) {
        self.limit = max(1, limit)
        self.niceness = min(max(niceness, 0), 19)
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
            #if canImport(Glibc)
            _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, niceness)
            #endif
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
}
