import Foundation
import PortcullisCore

/// The report as one self-contained HTML page: the table, bar charts (inline SVG) for the cost and
/// revocation rows, the verdicts and how each row was measured. No script, no external asset.
public enum HTMLReport {
    /// The report as an HTML document.
    public static func render(_ report: ComparisonReport) -> String {
        var html = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sessions vs JWT, measured</title>
            <style>\(style)</style>
            </head>
            <body>
            <main>
            <h1>Sessions vs JWT, measured on this machine</h1>
            <p class="meta">\(HTMLText.escape(report.machine.date)) · \(report.machine.cores) cores · \
            \(FigureFormat.text(report.machine.durationSeconds)) s per experiment · stores: \(HTMLText.escape(report.machine.stores.joined(separator: ", ")))</p>

            """
        html += table(report)
        html += "<h2>Cost and revocation</h2>\n"
        for row in report.rows where row.group == .cost || row.group == .revocation {
            html += chart(row, approaches: report.approaches)
        }
        html += "<h2>Verdict</h2>\n<ul class=\"verdicts\">\n"
        for verdict in report.verdicts {
            html +=
                "<li><strong>\(HTMLText.escape(verdict.application)): \(HTMLText.escape(verdict.approach.title)).</strong> \(HTMLText.escape(verdict.reason))</li>\n"
        }
        html += "</ul>\n<h2>How each row was measured</h2>\n<dl>\n"
        for row in report.rows {
            html += "<dt>\(HTMLText.escape(row.label)) <code>\(HTMLText.escape(row.id))</code></dt><dd>\(HTMLText.escape(row.note))</dd>\n"
        }
        html += "</dl>\n</main>\n</body>\n</html>\n"
        return html
    }

    private static func table(_ report: ComparisonReport) -> String {
        var html = "<div class=\"table\"><table>\n<thead><tr><th></th>"
        for approach in report.approaches { html += "<th scope=\"col\">\(HTMLText.escape(approach.title))</th>" }
        html += "</tr></thead>\n<tbody>\n"
        for group in ComparisonReport.Group.allCases {
            let rows = report.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            html +=
                "<tr class=\"group\"><th colspan=\"\(report.approaches.count + 1)\" scope=\"rowgroup\">\(HTMLText.escape(group.title))</th></tr>\n"
            for row in rows {
                html += "<tr id=\"\(HTMLText.escape(row.id))\"><th scope=\"row\">\(HTMLText.escape(row.label))</th>"
                for approach in report.approaches {
                    guard let cell = row.cells[approach] else {
                        html += "<td class=\"none\">–</td>"
                        continue
                    }
                    let kind = cell.measured ? "" : " class=\"unmeasured\""
                    html += "<td\(kind)>\(HTMLText.escape(cell.summary(unit: row.unit)))"
                    if cell.value != nil, cell.measured, let words = cell.text { html += "<small>\(HTMLText.escape(words))</small>" }
                    html += "</td>"
                }
                html += "</tr>\n"
            }
        }
        return html + "</tbody>\n</table></div>\n"
    }

    /// A horizontal bar per approach with a figure in `row`: medians as bars, the 99th
    /// percentile as a tick. Rows whose figures span more than two orders of magnitude use a
    /// logarithmic scale (a revocation in milliseconds beside a lifetime in minutes).
    private static func chart(_ row: ComparisonReport.Row, approaches: [ComparisonReport.Approach]) -> String {
        let bars = approaches.compactMap { approach in row.cells[approach].flatMap { cell in cell.value.map { (approach, cell, $0) } } }
        guard !bars.isEmpty else { return "" }
        let values = bars.flatMap { [$0.2, $0.1.p99 ?? $0.2] }.filter { $0 > 0 }
        let largest = values.max() ?? 1
        let smallest = values.min() ?? 1
        let logarithmic = largest / max(smallest, 1e-9) > 100
        func scaled(_ value: Double) -> Double {
            guard value > 0 else { return 0 }
            if !logarithmic { return value / largest }
            let floor = smallest / 2
            return log10(value / floor) / log10(largest / floor)
        }
        let labelWidth = 170.0
        let barSpace = 560.0
        let rowHeight = 26.0
        let height = Double(bars.count) * rowHeight + 8
        var svg =
            "<figure><figcaption>\(HTMLText.escape(row.label)) (\(HTMLText.escape(row.unit))\(logarithmic ? ", logarithmic scale" : ""))</figcaption>\n"
        svg += "<svg viewBox=\"0 0 \(Int(labelWidth + barSpace + 150)) \(Int(height))\" role=\"img\" aria-label=\"\(HTMLText.escape(row.label))\">\n"
        for (index, (approach, cell, value)) in bars.enumerated() {
            let y = 4 + Double(index) * rowHeight
            let width = max(2, scaled(value) * barSpace)
            let kind = cell.measured ? "bar" : "bar derived"
            svg += "<text x=\"0\" y=\"\(y + 17)\">\(HTMLText.escape(approach.title))</text>"
            svg += "<rect class=\"\(kind)\" x=\"\(labelWidth)\" y=\"\(y + 4)\" width=\"\(rounded(width))\" height=\"16\"/>"
            if let p99 = cell.p99 {
                let x = labelWidth + max(2, scaled(p99) * barSpace)
                svg += "<line class=\"p99\" x1=\"\(rounded(x))\" x2=\"\(rounded(x))\" y1=\"\(y + 1)\" y2=\"\(y + 23)\"/>"
            }
            svg += "<text x=\"\(rounded(labelWidth + width + 6))\" y=\"\(y + 17)\">\(HTMLText.escape(FigureFormat.text(value)))</text>\n"
        }
        return svg + "</svg></figure>\n"
    }

    private static func rounded(_ value: Double) -> String { FigureFormat.text(value) }

    private static let style = """
        body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1d2330;background:#f6f7f9}
        main{max-width:1100px;margin:0 auto;padding:20px 16px 48px}
        h1{font-size:1.6em;margin:.2em 0}h2{margin-top:1.8em}
        .meta{color:#5a6272}
        .table{overflow-x:auto;background:#fff;border:1px solid #dde1e7;border-radius:8px}
        table{border-collapse:collapse;width:100%;min-width:720px}
        th,td{padding:8px 10px;text-align:left;vertical-align:top;border-top:1px solid #eceef2}
        thead th{background:#eef1f6;border-top:0}
        tr.group th{background:#f8f9fb;text-transform:uppercase;font-size:.8em;letter-spacing:.05em;color:#5a6272}
        td small{display:block;color:#5a6272}
        td.unmeasured{color:#7a5d00}
        td.none{color:#a0a6b2}
        figure{margin:16px 0;background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:10px 12px}
        figcaption{font-weight:600;margin-bottom:4px}
        svg{width:100%;height:auto;font-size:13px}
        svg text{fill:#1d2330}
        .bar{fill:#2f6fdf}.bar.derived{fill:#d9a400}
        .p99{stroke:#1d2330;stroke-width:2}
        .verdicts li{margin:.5em 0}
        dt{font-weight:600;margin-top:.6em}dd{margin:0 0 0 1em;color:#3b4252}
        code{font-size:.85em;color:#5a6272}
        """
}
