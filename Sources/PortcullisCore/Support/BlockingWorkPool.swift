import Dispatch

/// Runs CPU-heavy blocking work (password hashing) off the event loops and the cooperative
/// thread pool, at most `width` jobs at a time; later callers wait their turn.
///
/// Bounding the width bounds memory: each scrypt job at OWASP parameters holds 128 MiB, so a burst
/// of logins queues instead of exhausting the machine.
public final class BlockingWorkPool: Sendable {
    private let permits: AsyncSemaphore
    private let queue = DispatchQueue(label: "portcullis.blocking-work", attributes: .concurrent)

    /// A pool running at most `width` jobs at once.
    public init(width: Int) {
        precondition(width > 0, "a work pool needs at least one slot")
        self.permits = AsyncSemaphore(permits: width)
    }

    /// Runs `work` on a pool thread once a slot is free, and returns its result.
    public func run<Result: Sendable>(_ work: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await permits.withPermit {
            try await withCheckedThrowingContinuation { continuation in
                queue.async {
                    continuation.resume(with: Swift.Result { try work() })
                }
            }
        }
    }
}

