/// A counting semaphore for tasks: at most `permits` holders at once, waiters served in order.
public actor AsyncSemaphore {
    private var available: Int
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// A semaphore with `permits` slots (1 makes it a mutex).
    public init(permits: Int) {
        precondition(permits > 0, "a semaphore needs at least one permit")
        self.available = permits
    }

    /// Runs `body` while holding a permit, releasing it however `body` ends.
    public func withPermit<Result: Sendable>(_ body: @Sendable () async throws -> Result) async rethrows -> Result {
        await acquire()
        defer { release() }
        return try await body()
    }

    /// Like ``withPermit(_:)``, but gives up at once, returning `nil` without running `body`, when
    /// no permit is free and `maximumWaiting` callers are already waiting for one.
    public func withPermit<Result: Sendable>(waitingAtMost maximumWaiting: Int, _ body: @Sendable () async throws -> Result) async rethrows -> Result?
    {
        guard available > 0 || waiters.count < maximumWaiting else { return nil }
        return try await withPermit(body)
    }

    private func acquire() async {
        if available > 0 {
            available -= 1
            return
        }
        await withCheckedContinuation { waiters.append($0) }
    }

    private func release() {
        if waiters.isEmpty {
            available += 1
        } else {
            waiters.removeFirst().resume()
        }
    }
}
