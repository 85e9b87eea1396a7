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
/// request. Lines are gathered instead and written together at most `delay` after the first of
/// a batch, or at once when the batch reaches `batchBytes`. A line marked urgent (a warning or
/// worse) is written at once, after whatever was waiting, so the order is kept. Lines still
/// waiting when the process exits normally are written on the way out; a crash loses at most
/// the last `delay` of them, never an urgent one.
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

    /// An output writing to `fileDescriptor`, which stays open for the output's life.
    init(fileDescriptor: Int32, delay: Duration = .milliseconds(10), batchBytes: Int = 32 * 1024) {
        self.fileDescriptor = fileDescriptor
        self.delay = delay
        self.batchBytes = batchBytes
    }

    /// Adds `line` (a whole line, newline included) to the batch.
    func write(_ line: [UInt8], urgent: Bool) {
        let scheduleFlush = batch.withLock { batch -> Bool in
            batch.bytes.append(contentsOf: line)
            if urgent || batch.bytes.count >= batchBytes {
                writeAll(batch.bytes)
                batch.bytes.removeAll(keepingCapacity: true)
                return false
            }
            guard !batch.flushScheduled else { return false }
            batch.flushScheduled = true
            return true
        }
        if scheduleFlush {
            let nanoseconds = Int(delay / .nanoseconds(1))
            DispatchQueue.global().asyncAfter(deadline: .now() + .nanoseconds(nanoseconds)) { self.flush() }
        }
    }

    /// Writes whatever is waiting.
    func flush() {
        batch.withLock { batch in
            batch.flushScheduled = false
            guard !batch.bytes.isEmpty else { return }
            writeAll(batch.bytes)
            batch.bytes.removeAll(keepingCapacity: true)
        }
    }

    /// Called with the batch locked, so two batches never interleave.
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
