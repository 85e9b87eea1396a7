import Synchronization

/// Runs CPU-heavy blocking work (password hashing) off the event loops and the cooperative
/// thread pool, on threads of its own at a lower priority (``BackgroundThreads``), at most
/// `width` jobs at a time, with at most `maximumWaiting` more queued.
///
/// Bounding the width bounds memory: each scrypt job at OWASP parameters holds 128 MiB. Bounding
/// the queue bounds the wait: beyond it a caller is told to come back (``PortcullisError/Kind/busy``,
/// with an estimate of when) instead of queueing for minutes behind a flood.
public final class BlockingWorkPool: Sendable {
    private let permits: AsyncSemaphore
    private let threads: BackgroundThreads
    private let width: Int
    private let maximumWaiting: Int
    /// A moving average of how long one job takes, in seconds, for the `Retry-After` estimate.
    private let averageSeconds = Mutex<Double>(0.5)
    /// Jobs running or waiting.
    private let admitted = Atomic<Int>(0)

    /// A pool running at most `width` jobs at once, refusing work when `maximumWaiting` jobs
    /// already wait.
    /// - Parameter priority: how readily the pool's threads yield the CPU to the rest of the process.
    public init(width: Int, maximumWaiting: Int = .max, priority: BackgroundPriority = .normal) {
        precondition(width > 0, "a work pool needs at least one slot")
        precondition(maximumWaiting >= 0, "the queue bound cannot be negative")
        self.permits = AsyncSemaphore(permits: width)
        self.threads = BackgroundThreads(limit: width, priority: priority)
        self.width = width
        self.maximumWaiting = maximumWaiting
    }

    /// Runs `work` on a pool thread once a slot is free, and returns its result.
    /// - Throws: ``PortcullisError`` `busy` when the queue is full; whatever `work` throws.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        admitted.add(1, ordering: .relaxed)
        defer { admitted.subtract(1, ordering: .relaxed) }
        let outcome = try await permits.withPermit(waitingAtMost: maximumWaiting) {
            let started = ContinuousClock.now
            defer { self.record(ContinuousClock.now - started) }
            return try await withCheckedThrowingContinuation { continuation in
                threads.submit {
                    let result = Swift.Result { try work() }
                    return { continuation.resume(with: result) }
                }
            }
        }
        guard let outcome else { throw busy }
        return outcome
    }

    /// Whether every slot is busy and the queue is full, so new work would be refused now: lets a
    /// caller refuse before doing anything else (a cheap, racy hint; ``run(_:)`` decides).
    public var isSaturated: Bool {
        maximumWaiting != .max && admitted.load(ordering: .relaxed) >= width + maximumWaiting
    }

    /// The refusal for work that finds the pool saturated.
    public var busy: PortcullisError {
        PortcullisError(.busy, "The server is busy. Try again shortly.", retryAfterSeconds: retryAfterSeconds)
    }

    /// When a refused caller may expect room: the full queue drained at the pace jobs have been taking.
    private var retryAfterSeconds: Int {
        let jobs = Double(min(maximumWaiting, 10_000) + width) / Double(width)
        return max(1, Int((jobs * averageSeconds.withLock { $0 }).rounded(.up)))
    }

    private func record(_ elapsed: Duration) {
        averageSeconds.withLock { $0 = $0 * 0.8 + elapsed.timeInterval * 0.2 }
    }
}
