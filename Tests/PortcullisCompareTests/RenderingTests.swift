import Foundation
import Testing

@testable import PortcullisCompare

/// The report's three text forms, on a report made by hand: every row and verdict shows up,
/// figures are written the same way everywhere, and nothing in a label can break the markup.
@Suite("Comparison report rendering")
struct RenderingTests {
    static let report = ComparisonReport(
        machine: .init(date: "2026-12-02T08:00:00Z", cores: 2, durationSeconds: 1, stores: ["memory", "sqlite"]),
        approaches: ComparisonReport.Approach.allCases,
        rows: [
            .init(
                id: "cost.session.cache",
                group: .cost,
                label: "Session lookup <cache> | hit",
                unit: "µs",
                cells: [.session: .measured(1.234, p99: 2.5, "340000/s on one core")],
                note: "A note with <b>markup</b>."
            ),
            .init(
                id: "revocation.verifier",
                group: .revocation,
                label: "Refused by a verifier",
                unit: "ms",
                cells: [.jwt: .derived(300_000, "lifetime"), .jwtWithFeed: .measured(5.6, p99: 8.7)],
                note: "Feed against lifetime."
            ),
            .init(
                id: "restarts.sqlite",
                group: .restarts,
                label: "Restart",
                unit: "",
                cells: [.session: .outcome("still signed in")],
                note: "Restarted."
            ),
        ],
        verdicts: [.init(application: "Monolith", approach: .session, reason: "Because & so.")]
    )

    @Test(arguments: [(0.001234, "0.001"), (1.234, "1.23"), (12.34, "12.3"), (123.4, "123"), (300_000, "300000"), (2, "2")])
    func figuresKeepThreeSignificantDigitsBelowAHundred(_ value: Double, _ text: String) {
        #expect(FigureFormat.text(value) == text)
    }

    @Test func theTerminalTableHasEveryRowAndWrapsToItsWidth() {
        let text = TerminalTable.render(Self.report, width: 100)
        for heading in ["COST PER REQUEST", "REVOCATION", "RESTARTS", "VERDICT"] { #expect(text.contains(heading)) }
        #expect(!text.contains("STORAGE"))
        #expect(text.contains("1.23, p99 2.50"))
        #expect(text.contains("still signed in"))
        #expect(text.contains("300000") && text.contains("(lifetime)"))
        #expect(text.split(separator: "\n").allSatisfy { $0.count <= 100 })
    }

    @Test func wrappingBreaksAtSpacesAndCutsOnlyWordsLongerThanALine() {
        #expect(TerminalTable.wrap("one two three", 7) == ["one two", "three"])
        #expect(TerminalTable.wrap("abcdefghij", 4) == ["abcd", "efgh", "ij"])
        #expect(TerminalTable.wrap("", 4) == [""])
    }

    @Test func markdownEscapesPipesAndListsHowEachRowWasMeasured() {
        let text = MarkdownReport.render(Self.report)
        #expect(text.contains("| Session lookup <cache> \\| hit | 1.23 µs, p99 2.50<br>_340000/s on one core_ |"))
        #expect(text.contains("- _Refused by a verifier_ (`revocation.verifier`): Feed against lifetime."))
        #expect(text.contains("- **Monolith: Session cookie.** Because & so."))
    }

    @Test func htmlEscapesTextAndChartsFiguresOnALogScaleWhenTheySpanOrdersOfMagnitude() {
        let html = HTMLReport.render(Self.report)
        #expect(html.contains("Session lookup &lt;cache&gt; | hit"))
        #expect(html.contains("A note with &lt;b&gt;markup&lt;/b&gt;."))
        #expect(html.contains("Because &amp; so."))
        #expect(!html.contains("<b>"))
        // One chart per cost or revocation row with figures; the revocation one is logarithmic.
        #expect(html.components(separatedBy: "<svg").count - 1 == 2)
        #expect(html.contains("Refused by a verifier (ms, logarithmic scale)"))
        #expect(html.contains("Session lookup &lt;cache&gt; | hit (µs)</figcaption>"))
        // A configured figure is drawn apart from measured ones.
        #expect(html.contains("class=\"bar derived\""))
    }
}
