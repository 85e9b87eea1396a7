/// A server's reply: a three-digit code and its text lines (RFC 5321 §4.2).
public struct SMTPReply: Sendable, Hashable, CustomStringConvertible {
    /// The reply code, e.g. 250.
    public let code: Int
    /// The text of each line, without the code and separator.
    public let lines: [String]

    /// Whether the command succeeded (2xx) or is waiting for more (3xx).
    public var isPositive: Bool { (200..<400).contains(code) }
    /// Whether trying again later may succeed (4xx), as opposed to a permanent refusal (5xx).
    public var isTransient: Bool { (400..<500).contains(code) }

    public var description: String { "\(code) \(lines.joined(separator: " / "))" }

    /// Reads one complete reply from the front of `buffer`, removing the bytes it used: `nil` when
    /// the reply is not complete yet.
    /// - Throws: ``SMTPError`` for lines that are not a reply (no code, a bad separator, a code
    ///   that changes between lines, a line over 4 KiB).
    package static func parse(_ buffer: inout [UInt8]) throws(SMTPError) -> SMTPReply? {
        var start = 0
        var code: Int?
        var lines: [String] = []
        while let lineEnd = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
            var line = Array(buffer[start..<lineEnd])
            if line.last == UInt8(ascii: "\r") { line.removeLast() }
            guard line.count >= 3, line.count <= 4096, line.prefix(3).allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
                line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-")
            else { throw SMTPError.malformedReply }
            let lineCode = Int(String(decoding: line.prefix(3), as: UTF8.self))!
            guard code == nil || code == lineCode, (200...599).contains(lineCode) else { throw SMTPError.malformedReply }
            code = lineCode
            lines.append(String(decoding: line.dropFirst(4), as: UTF8.self))
            start = lineEnd + 1
            if line.count == 3 || line[3] == UInt8(ascii: " ") {
                buffer.removeFirst(start)
                return SMTPReply(code: lineCode, lines: lines)
            }
        }
        // A line of the longest allowed length may still be waiting for its CR LF: the CR counts.
        guard buffer.count - start <= 4097 else { throw SMTPError.malformedReply }
        return nil
    }
}
