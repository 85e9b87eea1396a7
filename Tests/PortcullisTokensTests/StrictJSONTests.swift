import PortcullisTokens
import Testing

@Suite("Strict JSON reader")
struct StrictJSONTests {
    /// Numbers only as RFC 8259 spells them. The fuzzing harness found `{"a":02}` accepted: Swift's
    /// `Double("02")` is 2, though JSON forbids the leading zero (Fuzz/crashes keeps that input).
    @Test(arguments: ["02", "+1", "1.", ".5", "-", "1e", "1e+", "-01", "0x10", "1_000", "--1", "Infinity", "NaN", "1e999"])
    func refusesNumbersJSONDoesNotHave(_ number: String) {
        #expect(StrictJSON.object(Array(#"{"a":\#(number)}"#.utf8)) == nil)
    }

    @Test(arguments: ["0", "-0", "7", "-12", "3.25", "0.5", "1e3", "1E+3", "2.5e-3", "-0.0e0"])
    func readsNumbersJSONHas(_ number: String) {
        #expect(StrictJSON.object(Array(#"{"a":\#(number)}"#.utf8))?["a"] != nil)
    }

    /// Found by fuzzing too: `\u+0e9` was read as U+00E9, since `UInt32("+0e9", radix: 16)` takes a sign.
    @Test(arguments: [#"\u+0e9"#, #"\u-0e9"#, #"\u00g9"#, #"\u0e9"#, #"\u 0e9"#])
    func refusesEscapesThatAreNotFourHexDigits(_ escape: String) {
        #expect(StrictJSON.object(Array(#"{"a":"\#(escape)"}"#.utf8)) == nil)
    }

    @Test func readsFourHexDigitEscapes() {
        #expect(StrictJSON.object(Array(#"{"a":"\u00e9\u00C9"}"#.utf8))?["a"] == .string("éÉ"))
    }

    @Test func refusesARepeatedMemberAndTrailingBytes() {
        #expect(StrictJSON.object(Array(#"{"alg":"EdDSA","alg":"none"}"#.utf8)) == nil)
        #expect(StrictJSON.object(Array(#"{"a":1} x"#.utf8)) == nil)
    }
}
