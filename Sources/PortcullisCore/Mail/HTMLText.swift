/// Escaping for HTML text and attribute values: how a value reaches HTML, in mail, on the pages
/// and in the pages of an app that embeds Portcullis.
public enum HTMLText {
    /// `text` with `&`, `<`, `>`, `"` and `'` escaped.
    ///
    /// It works on Unicode scalars, not `Character`s: a `"` followed by a combining mark (or
    /// preceded by a prepended concatenation mark such as U+0600) is one `Character` that is not
    /// equal to `"`, yet an HTML parser still sees the quote.
    public static func escape(_ text: String) -> String {
        var escaped = String.UnicodeScalarView()
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": escaped.append(contentsOf: "&amp;".unicodeScalars)
            case "<": escaped.append(contentsOf: "&lt;".unicodeScalars)
            case ">": escaped.append(contentsOf: "&gt;".unicodeScalars)
            case "\"": escaped.append(contentsOf: "&quot;".unicodeScalars)
            case "'": escaped.append(contentsOf: "&#39;".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
