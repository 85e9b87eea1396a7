/// How figures are written in every output: whole numbers from 100 up, three significant
/// digits below.
enum FigureFormat {
    /// `value` written for people.
    static func text(_ value: Double) -> String {
        guard value.isFinite else { return "–" }
        if value < 0 { return "-" + text(-value) }
        if value >= 100 || value == value.rounded() { return String(Int(value.rounded())) }
        let digits = value >= 10 ? 1 : value >= 1 ? 2 : 3
        var scale = 1.0
        for _ in 0..<digits { scale *= 10 }
        let whole = Int((value * scale).rounded())
        let fraction = String(whole % Int(scale))
        return "\(whole / Int(scale)).\(String(repeating: "0", count: digits - fraction.count))\(fraction)"
    }
}

extension ComparisonReport.Cell {
    /// The cell in one line: `1.40 µs, p99 3.20` for a figure, the words for an outcome.
    func summary(unit: String) -> String {
        guard let value else { return text ?? "" }
        let unitText = unit.isEmpty ? "" : " \(unit)"
        let figure = FigureFormat.text(value) + unitText + (p99.map { ", p99 \(FigureFormat.text($0))" } ?? "")
        return measured ? figure : figure + " (\(text ?? "configured"))"
    }
}
