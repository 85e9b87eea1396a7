import PortcullisCore
import Testing

/// HTML escaping, which every page and every mail relies on.
@Suite("HTML escaping")
struct HTMLTextTests {
    @Test func theFiveSpecialCharactersAreEscaped() {
        #expect(
            HTMLText.escape("<a href=\"x\" title='y'>Tom & Jerry</a>") == "&lt;a href=&quot;x&quot; title=&#39;y&#39;&gt;Tom &amp; Jerry&lt;/a&gt;"
        )
        #expect(HTMLText.escape("plain text, ünïcode, 日本") == "plain text, ünïcode, 日本")
    }

    /// Swift compares `Character`s (grapheme clusters): `"` followed by a combining accent, or
    /// preceded by U+0600 (a prepended mark), is one `Character` that is not `"`. An HTML parser
    /// reads code points and still sees the quote, so escaping must work on those.
    @Test(arguments: ["\"\u{301}", "\u{600}\"", "<\u{301}", "\u{600}<", ">\u{20DD}", "&\u{301}", "'\u{301}"])
    func aSpecialCharacterInsideAGraphemeClusterIsStillEscaped(text: String) {
        let escaped = HTMLText.escape(text)
        #expect(
            !escaped.unicodeScalars.contains { "<>\"'".unicodeScalars.contains($0) },
            "\(escaped.unicodeScalars.map { String($0.value, radix: 16) })"
        )
        #expect(escaped.unicodeScalars.contains("&"))
    }
}
