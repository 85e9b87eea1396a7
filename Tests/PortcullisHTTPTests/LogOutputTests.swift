import Foundation
import Testing

@testable import PortcullisHTTP

/// Log lines are written in batches, but never lost, reordered, torn, or held back behind a
/// warning.
@Suite("Log output")
struct LogOutputTests {
    /// A pipe whose read end does not block: `drain()` returns what has been written so far.
    final class Pipe: @unchecked Sendable {
        let readEnd: Int32
        let writeEnd: Int32

        init() throws {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else { throw POSIXError(.EMFILE) }
            readEnd = ends[0]
            writeEnd = ends[1]
            _ = fcntl(readEnd, F_SETFL, fcntl(readEnd, F_GETFL) | O_NONBLOCK)
        }

        deinit {
            close(readEnd)
            close(writeEnd)
        }

        func drain() -> String {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 65536)
            while true {
                let count = read(readEnd, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[..<count]
            }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    @Test func aWarningWritesItselfAndEverythingBeforeItAtOnce() throws {
        let pipe = try Pipe()
        let output = LogOutput(fileDescriptor: pipe.writeEnd, delay: .seconds(3600))
        output.write(Array("one\n".utf8), urgent: false)
        output.write(Array("two\n".utf8), urgent: false)
        #expect(pipe.drain() == "", "info lines wait for their batch")
        output.write(Array("warning\n".utf8), urgent: true)
        #expect(pipe.drain() == "one\ntwo\nwarning\n")
    }

    @Test func aBatchIsWrittenAfterTheDelayOrWhenFull() async throws {
        let pipe = try Pipe()
        let output = LogOutput(fileDescriptor: pipe.writeEnd, delay: .seconds(2), batchBytes: 64)
        let written = ContinuousClock.now
        output.write(Array("waits\n".utf8), urgent: false)
        #expect(pipe.drain() == "", "not before the delay")
        var seen = ""
        while seen.isEmpty, ContinuousClock.now - written < .seconds(20) {
            try await Task.sleep(for: .milliseconds(20))
            seen = pipe.drain()
        }
        #expect(seen == "waits\n")
        #expect(ContinuousClock.now - written >= .seconds(2))
        let long = String(repeating: "x", count: 70) + "\n"
        output.write(Array(long.utf8), urgent: false)
        #expect(pipe.drain() == long, "a full batch goes out at once")
    }

    @Test func linesFromManyThreadsArriveWholeAndNoneIsLost() async throws {
        let pipe = try Pipe()
        let output = LogOutput(fileDescriptor: pipe.writeEnd, delay: .milliseconds(5), batchBytes: 4096)
        await withTaskGroup(of: Void.self) { group in
            for writer in 0..<8 {
                group.addTask {
                    for line in 0..<150 {
                        output.write(Array("\(writer) \(line) \(String(repeating: "y", count: line % 25))\n".utf8), urgent: line % 37 == 0)
                    }
                }
            }
        }
        output.flush()
        let lines = pipe.drain().split(separator: "\n")
        #expect(lines.count == 1200, "within a pipe's 64 KiB")
        var next = [Int](repeating: 0, count: 8)
        for line in lines {
            let parts = line.split(separator: " ", omittingEmptySubsequences: false)
            try #require(parts.count == 3, "a torn line: \(line)")
            let writer = try #require(Int(parts[0]))
            let number = try #require(Int(parts[1]))
            #expect(number == next[writer], "each writer's lines in order")
            #expect(parts[2].count == number % 25, "whole lines")
            next[writer] = number + 1
        }
    }
}
