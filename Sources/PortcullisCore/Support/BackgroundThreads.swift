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
///
/// A job's completion (resuming the task that waits for it) runs on a separate thread at normal
/// priority: on Linux a new thread inherits its creator's priority, and resuming a task may make
/// the runtime start a worker thread, which would then answer requests at the lowered priority
/// (and an unprivileged process can never raise it again).
final class BackgroundThreads: Sendable {
    /// A job: runs at the lowered priority, and returns what to run at normal priority after it.
    typealias Job = @Sendable () -> @Sendable () -> Void

    private struct State {
        var jobs: [Job] = []
        var next = 0
        var running = 0
        var completions: [@Sendable () -> Void] = []
        /// Jobs submitted whose completion has not run yet.
        var outstanding = 0
        var completing = false
    }

    private let state = Mutex(State())
    private let wakeUp = DispatchSemaphore(value: 0)
    private let completionsReady = DispatchSemaphore(value: 0)
    private let limit: Int
    private let priority: BackgroundPriority

    /// At most `limit` threads, each at `priority`.
    init(limit: Int, priority: BackgroundPriority) {
        self.limit = max(1, limit)
        self.priority = priority
    }

    /// Runs `job` on one of the threads, starting one if all are busy and the limit allows, and
    /// then the closure it returns on the completion thread. Call it from a normal-priority
    /// thread: it may start the completion thread.
    func submit(_ job: @escaping Job) {
        let (startWorker, startCompleter) = state.withLock { state in
            state.jobs.append(job)
            state.outstanding += 1
            let startCompleter = !state.completing
            state.completing = true
            guard state.running < limit else { return (false, startCompleter) }
            state.running += 1
            return (true, startCompleter)
        }
        wakeUp.signal()
        if startCompleter { startThread(named: "portcullis-done") { [self] in completeUntilIdle() } }
        if startWorker {
            startThread(named: "portcullis-hash") { [self] in
                Self.lowerCallingThread(to: priority)
                while let job = nextJob() { finished(job()) }
            }
        }
    }

    private func startThread(named name: String, _ body: @escaping @Sendable () -> Void) {
        let thread = Thread {
            Self.nameCallingThread(name)
            body()
        }
        thread.name = name
        thread.start()
    }

    /// The next job, waiting up to a minute for one; `nil` when the thread should end.
    private func nextJob() -> Job? {
        while true {
            let timedOut = wakeUp.wait(timeout: .now() + 60) == .timedOut
            let job: Job?? = state.withLock { state in
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

    /// Hands a finished job's completion to the completion thread.
    private func finished(_ completion: @escaping @Sendable () -> Void) {
        state.withLock { $0.completions.append(completion) }
        completionsReady.signal()
    }

    /// The completion thread: runs completions as they come, and ends after a minute with nothing
    /// outstanding (``submit(_:)`` starts it again).
    private func completeUntilIdle() {
        while true {
            let timedOut = completionsReady.wait(timeout: .now() + 60) == .timedOut
            let ready: [@Sendable () -> Void]? = state.withLock { state in
                if !state.completions.isEmpty {
                    defer { state.completions.removeAll(keepingCapacity: true) }
                    state.outstanding -= state.completions.count
                    return state.completions
                }
                guard timedOut, state.outstanding == 0 else { return [] }
                state.completing = false
                return nil
            }
            guard let ready else { return }
            for completion in ready { completion() }
        }
    }

    /// Linux's `SCHED_IDLE` policy number (a stable kernel ABI value that Glibc only names under
    /// `_GNU_SOURCE`).
    static let idleSchedulingPolicy: Int32 = 5

    /// Names the calling thread for `ps -L` and `top -H` (Linux keeps 15 bytes), so an operator can
    /// see the hashing threads and their scheduling class. Glibc's `pthread_setname_np` is not
    /// visible to Swift; the thread's `comm` file is the same thing.
    private static func nameCallingThread(_ name: String) {
        #if canImport(Glibc)
        let descriptor = open("/proc/thread-self/comm", O_WRONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        let bytes = Array(name.utf8.prefix(15))
        _ = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        #endif
    }

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
