import Foundation
import Logging
import Testing

@testable import PortcullisHTTP

/// The hand-built log line must stay valid JSON whatever the message and metadata hold.
@Suite("JSON log lines")
struct JSONLogHandlerTests {
    @Test func aLineIsOneJSONObjectWithEveryFieldIntact() throws {
        let awkward = "quote \" backslash \\ newline \n tab \t bell \u{07} slash / accents é 日本 🦊 nul \u{00}"
        let line = JSONLogHandler.line(
            time: Date(timeIntervalSince1970: 1_796_161_099.25),
            level: .warning,
            label: "portcullis",
            message: awkward,
            metadata: ["zeta": "last", "alpha": .string(awkward), "level": "spoofed", "count": .stringConvertible(42)]
        )
        #expect(line.last == UInt8(ascii: "\n"))
        #expect(line.dropLast().contains(UInt8(ascii: "\n")) == false, "one line")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(line)) as? [String: String])
        #expect(
            object == [
                "time": "2026-12-01T21:38:19.250Z", "level": "warning", "label": "portcullis", "message": awkward,
                "alpha": awkward, "count": "42", "zeta": "last",
            ]
        )
        // Fixed fields first, then the metadata sorted.
        let text = String(decoding: line, as: UTF8.self)
        let order = ["\"time\"", "\"level\"", "\"label\"", "\"message\"", "\"alpha\"", "\"count\"", "\"zeta\""].map { text.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())
        #expect(text.contains("/ accents é 日本 🦊"), "slashes and non-ASCII are written as they are")
    }

    @Test func timestampsAreUTCWithMilliseconds() {
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 0)) == "1970-01-01T00:00:00.000Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 951_782_400.5)) == "2000-02-29T00:00:00.500Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: 1_796_161_099.999_9)) == "2026-12-01T21:38:19.999Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: -0.5)) == "1969-12-31T23:59:59.500Z")
        #expect(JSONLogHandler.timestamp(Date(timeIntervalSince1970: -86_400.25)) == "1969-12-30T23:59:59.750Z")
    }
}
