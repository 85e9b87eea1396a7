import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where ``JSONLogHandler`` writes: a file descriptor (standard error), in batches.
///
/// Every request logs a line, and a write to the descriptor for each cost a system call per
/// request. Lines are gathered instead and written together about `delay` after the first of
/// a batch (a timer on Dispatch's global queue), or at once when the batch reaches `batchBytes`. A line marked urgent (a warning or
/// worse) is written at once, after whatever was waiting, so the order is kept. Lines still
/// waiting when the process exits normally are written on the way out; a crash loses the batch
/// still waiting, never an urgent line.
final class LogOutput: Sendable {
    /// Standard error, the output of the `portcullis` commands.
    static let standardError: LogOutput = {
        let output = LogOutput(fileDescriptor: 2)
        atexit { LogOutput.standardError.flush() }
        return output
    }()

    private struct Batch {
        var bytes: [UInt8] = []
        var flushScheduled = false
    }

    private let fileDescriptor: Int32
    private let delay: Duration
    private let batchBytes: Int
    private let batch = Mutex(Batch())
    /// Held while a batch is taken and written, so batches leave in the order they were taken
    /// and a slow descriptor holds up only the writer, not the threads adding lines.
    private let writer = Mutex(())

    /// An output writing to `fileDescriptor`, which stays open for the output's life.
    init(fileDescriptor: Int32, delay: Duration = .milliseconds(10), batchBytes: Int = 32 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.delay = delay
        self.batchBytes = batchBytes
    }

    /// Adds `line` (a whole line, newline included) to the batch.
    func write(_ line: [UInt8], urgent: Bool) {
        enum Next { case nothing, writeNow, scheduleFlush }
        let next = batch.withLock { batch -> Next in
            batch.bytes.append(contentsOf: line)
            if urgent || batch.bytes.count >= batchBytes { return .writeNow }
            guard !batch.flushScheduled else { return .nothing }
            batch.flushScheduled = true
            return .scheduleFlush
        }
        switch next {
        case .nothing: break
        case .writeNow: flush()
        case .scheduleFlush:
            let nanoseconds = Int(delay / .nanoseconds(1))
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.flush() }
        }
    }

    /// Writes whatever is waiting.
    func flush() {
        writer.withLock { _ in
            let bytes = batch.withLock { batch in
                batch.flushScheduled = false
                defer { batch.bytes = [] }
                return batch.bytes
            }
            writeAll(bytes)
        }
    }

    /// Called with ``writer`` held, so two batches never interleave.
    private func writeAll(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { buffer in
            var written = 0
            while written < buffer.count {
                let result = systemWrite(fileDescriptor, buffer.baseAddress! + written, buffer.count - written)
                if result < 0, errno == EINTR { continue }
                if result <= 0 { return }
                written += result
            }
        }
    }
}

/// `write(2)`, out of reach of ``LogOutput/write(_:urgent:)``'s name.
private func systemWrite(_ descriptor: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(descriptor, bytes, count)
}
