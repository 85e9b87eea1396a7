import PortcullisHTTP
import Testing

/// The QR encoder against an independent one (Project Nayuki's qrcodegen): the same symbol, module for module, for
/// each version family (1; 6; 7 and up, with version information; 10 and up, with a 16-bit count;
/// two block sizes; remainder bits), then its limits and its SVG.
@Suite("QR codes")
struct QRCodeTests {
    @Test(arguments: qrCodeVectors.indices)
    func matchesAnIndependentEncoderModuleForModule(_ index: Int) throws {
        let vector = qrCodeVectors[index]
        let code = try QRCode(text: vector.text, mask: vector.mask)
        #expect(code.version == vector.version)
        #expect(code.size == vector.rows.count)
        let rows = (0..<code.size).map { row in String((0..<code.size).map { code.isDark(row: row, column: $0) ? "1" : "0" }) }
        for (row, (ours, theirs)) in zip(rows, vector.rows).enumerated() {
            #expect(ours == theirs, "version \(vector.version), mask \(vector.mask), row \(row)")
        }
    }

    @Test(arguments: qrCodeMaskChoices.indices)
    func choosesTheMaskOfLeastPenaltyAsTheIndependentEncoderDoes(_ index: Int) throws {
        let choice = qrCodeMaskChoices[index]
        let code = try QRCode(text: choice.text)
        #expect(code.version == choice.version)
        #expect(code.mask == choice.mask)
        #expect(try QRCode(text: choice.text, mask: choice.mask) == code)
    }

    @Test func holdsUpTo666BytesAndRefusesMore() throws {
        #expect(try QRCode(bytes: Array(repeating: 0x41, count: 666)).version == 20)
        #expect(throws: QRCode.TooLong.self) { try QRCode(bytes: Array(repeating: 0x41, count: 667)) }
    }

    @Test func drawsAnSVGOfItsDarkModulesWithinAQuietZone() throws {
        let code = try QRCode(text: "HELLO", mask: 0)
        let svg = code.svg(moduleSize: 5, title: "Scan <this> & \"that\"")
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 29 29\" width=\"145\" height=\"145\""))
        #expect(svg.contains("aria-label=\"Scan &lt;this&gt; &amp; &quot;that&quot;\""))
        // The top-left finder's first row is seven dark modules, drawn from the quiet zone's edge.
        #expect(svg.contains("d=\"M4 4h7v1h-7z"))
        #expect(!svg.contains("<script"))
        // A quote carrying a combining mark is one Character but still a quote to an HTML parser.
        let combined = code.svg(title: "a\"\u{0301} onload=x")
        #expect(combined.contains("aria-label=\"a&quot;\u{0301} onload=x\""))
    }
}
