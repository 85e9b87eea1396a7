import PortcullisCore

/// A fragment of HTML that is safe to send.
///
/// Written as a string literal, an `HTML` value takes its literal text as markup and escapes
/// every interpolated `String`, so a value from a request or the store can only ever become
/// text, never markup. Interpolating another `HTML` value (or an array of them) inserts it as is.
///
/// ```swift
/// let row: HTML = "<li>\(session.userAgent)</li>"   // escaped
/// let list: HTML = "<ul>\(rows)</ul>"               // rows: [HTML], inserted as markup
/// ```
struct HTML: ExpressibleByStringInterpolation, Sendable, Equatable {
    /// The markup.
    let markup: String

    init(stringLiteral literal: String) {
        self.markup = literal
    }

    init(stringInterpolation: StringInterpolation) {
        self.markup = stringInterpolation.markup
    }

    /// The empty fragment.
    static let empty: HTML = ""

    /// `text`, escaped for use in element content and in quoted attribute values (the same rule
    /// the mail's HTML uses).
    static func escape(_ text: some StringProtocol) -> String {
        HTMLText.escape(String(text))
    }

    /// Builds `HTML` from literal markup and escaped values.
    struct StringInterpolation: StringInterpolationProtocol {
        fileprivate var markup = ""

        init(literalCapacity: Int, interpolationCount: Int) {
            markup.reserveCapacity(literalCapacity + 16 * interpolationCount)
        }

        mutating func appendLiteral(_ literal: String) {
            markup += literal
        }

        /// Text: escaped.
        mutating func appendInterpolation(_ text: some StringProtocol) {
            markup += HTML.escape(text)
        }

        /// A number: rendered as text.
        mutating func appendInterpolation(_ number: Int) {
            markup += String(number)
        }

        /// Markup: inserted as is.
        mutating func appendInterpolation(_ fragment: HTML) {
            markup += fragment.markup
        }

        /// Markup fragments: inserted one after the other.
        mutating func appendInterpolation(_ fragments: [HTML]) {
            for fragment in fragments { markup += fragment.markup }
        }
    }
}
