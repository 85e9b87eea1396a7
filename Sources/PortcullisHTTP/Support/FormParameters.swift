import Foundation

/// The parameters of an `application/x-www-form-urlencoded` body, read as RFC 6749 §3.2 asks of
/// the OAuth endpoints: every name at most once (a repeated `grant_type` or `token` is refused,
/// never resolved one way or the other), `+` as a space, percent-escapes that decode to UTF-8.
/// Why not `URLEncodedFormDecoder`: (docs/design.md#libraries-and-what-is-written-here-instead).
package enum FormParameters {
    /// Why a body is not a form the endpoints accept.
    package enum Failure: Error, Equatable {
        /// A name or value with a malformed percent-escape, or bytes that are not UTF-8.
        case malformed
        /// A name that appears twice.
        case repeated(String)
    }

    /// The names and values of `body`; an empty body has none.
    package static func parse(_ body: String) throws(Failure) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in body.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = decode(parts[0]), let value = parts.count > 1 ? decode(parts[1]) : "" else {
                throw .malformed
            }
            guard parameters[name] == nil else { throw .repeated(name) }
            parameters[name] = value
        }
        return parameters
    }

    private static func decode(_ component: Substring) -> String? {
        component.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
