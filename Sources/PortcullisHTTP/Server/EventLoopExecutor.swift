public import HummingbirdCore
public import Logging
public import NIOCore
import Synchronization

/// Runs a connection's requests on the event loop that reads and writes its socket.
///
/// Hummingbird handles each connection in a task on Swift's global concurrent executor, so every
/// request crosses threads twice: the event loop reads it, a pool thread runs the handler, the
/// event loop writes the answer. On a machine with few cores those hand-offs cost more than the
/// handler (a scheduler trace of `GET /v1/me` under load showed the pool threads using as much CPU
/// as the event loops), and each is a chance to queue behind another runnable thread. With the
/// event loop as the task's preferred executor (SE-0417), the handler and the default actors it
/// calls run where the bytes are, as in a classic SwiftNIO server.
///
/// Handlers must not block: anything slow already runs elsewhere (SQLite and PostgreSQL on their
/// own threads, password hashing on ``BlockingWorkPool``). The event-loop group must outlive the
/// server, as Hummingbird's `Application` arranges: a job for a loop that has shut down is dropped
/// by SwiftNIO, and its task would never finish.
struct EventLoopAffineChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Base.Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor.of(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// An event loop as a task executor: jobs enqueued on it run on the loop's thread.
///
/// One per loop, shared by its connections: the runtime compares executors by identity, so tasks
/// of two connections on one loop then see the same executor and need not hop between them.
final class EventLoopTaskExecutor: TaskExecutor {
    private let eventLoop: any EventLoop
    private static let shared = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    private init(_ eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// The executor of `eventLoop`.
    static func of(_ eventLoop: any EventLoop) -> EventLoopTaskExecutor {
        shared.withLock { executors in
            let key = ObjectIdentifier(eventLoop)
            if let executor = executors[key] { return executor }
            let executor = EventLoopTaskExecutor(eventLoop)
            executors[key] = executor
            return executor
        }
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
