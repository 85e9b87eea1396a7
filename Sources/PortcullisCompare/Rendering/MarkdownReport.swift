/// The report as Markdown: a table per group of rows, how each row was measured, and the verdicts.
public enum MarkdownReport {
    /// The report as a Markdown document.
    public static func render(_ report: ComparisonReport) -> String {
        var text = "| | " + report.approaches.map(\.title).joined(separator: " | ") + " |\n"
        text += "|---|" + String(repeating: "---|", count: report.approaches.count) + "\n"
        for group in ComparisonReport.Group.allCases {
            let rows = report.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            text += "| **\(group.title)** |" + String(repeating: " |", count: report.approaches.count) + "\n"
            for row in rows {
                let cells = report.approaches.map { approach -> String in
                    guard let cell = row.cells[approach] else { return "–" }
                    var content = escaped(cell.summary(unit: row.unit))
                    if cell.value != nil, cell.measured, let words = cell.text { content += "<br>_\(escaped(words))_" }
                    return content
                }
                text += "| \(escaped(row.label)) | " + cells.joined(separator: " | ") + " |\n"
            }
        }
        text += "\n**Verdict**\n\n"
        for verdict in report.verdicts {
            text += "- **\(verdict.application): \(verdict.approach.title).** \(verdict.reason)\n"
        }
        text += "\n**How each row was measured**\n\n"
        for row in report.rows {
            text += "- _\(escaped(row.label))_ (`\(row.id)`): \(row.note)\n"
        }
        text +=
            "\nMeasured \(report.machine.date) on \(report.machine.cores) cores, \(FigureFormat.text(report.machine.durationSeconds)) s per experiment.\n"
        return text
    }

    private static func escaped(_ text: String) -> String {
        text.replacing("|", with: "\\|")
    }
}
