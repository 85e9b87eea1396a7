/// The report as a plain-text table for a terminal: one column per approach, cells wrapped to
/// fit, then the verdicts.
public enum TerminalTable {
    /// The report as text, `width` columns wide at most.
    public static func render(_ report: ComparisonReport, width: Int = 120) -> String {
        let labelWidth = 26
        let columnWidth = max(10, (width - labelWidth) / report.approaches.count - 3)
        var lines = block([[""]] + report.approaches.map { wrap($0.title, columnWidth) }, labelWidth: labelWidth, columnWidth: columnWidth)
        lines.append(String(repeating: "-", count: labelWidth + (columnWidth + 3) * report.approaches.count))
        for group in ComparisonReport.Group.allCases {
            let rows = report.rows.filter { $0.group == group }
            guard !rows.isEmpty else { continue }
            lines.append(group.title.uppercased())
            for row in rows {
                let label = wrap(row.label + (row.unit.isEmpty ? "" : " (\(row.unit))"), labelWidth)
                let cells = report.approaches.map { approach -> [String] in
                    guard let cell = row.cells[approach] else { return ["-"] }
                    var text = wrap(cell.summary(unit: ""), columnWidth)
                    if cell.value != nil, cell.measured, let words = cell.text { text += wrap(words, columnWidth) }
                    return text
                }
                lines += block([label] + cells, labelWidth: labelWidth, columnWidth: columnWidth)
            }
            lines.append("")
        }
        lines.append("VERDICT")
        for verdict in report.verdicts {
            lines += wrap("\(verdict.application): \(verdict.approach.title). \(verdict.reason)", width)
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// One table row from its cells' lines: as many lines as its tallest cell, columns padded.
    private static func block(_ cells: [[String]], labelWidth: Int, columnWidth: Int) -> [String] {
        let height = cells.map(\.count).max() ?? 1
        return (0..<height).map { line in
            let parts = cells.enumerated().map { column, cell in
                pad(line < cell.count ? cell[line] : "", column == 0 ? labelWidth : columnWidth)
            }
            return parts.joined(separator: " | ").trailingSpacesRemoved
        }
    }

    /// `text` cut into lines of at most `width` characters, at spaces where it can.
    static func wrap(_ text: String, _ width: Int) -> [String] {
        var lines: [String] = []
        var current = ""
        for word in text.split(separator: " ") {
            if current.isEmpty {
                current = String(word)
            } else if current.count + 1 + word.count <= width {
                current += " " + word
            } else {
                lines.append(current)
                current = String(word)
            }
            while current.count > width {
                lines.append(String(current.prefix(width)))
                current = String(current.dropFirst(width))
            }
        }
        if !current.isEmpty || lines.isEmpty { lines.append(current) }
        return lines
    }

    private static func pad(_ text: String, _ width: Int) -> String {
        text.count >= width ? text : text + String(repeating: " ", count: width - text.count)
    }
}

extension String {
    fileprivate var trailingSpacesRemoved: String {
        var text = self
        while text.last == " " { text.removeLast() }
        return text
    }
}
