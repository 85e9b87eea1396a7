/// Validation and normalization of the email address that names an account.
///
/// Deliberately permissive (RFC 5321 addresses are too varied to parse strictly here): one `@`,
/// a non-empty local part, a domain with a dot, no whitespace or control characters, at most
/// 254 bytes. The domain is lowercased; the local part is lowercased too, because users expect
/// `Ada@Example.com` and `ada@example.com` to be one account.
public enum EmailAddress {
    /// The longest address accepted, in UTF-8 bytes (RFC 5321 §4.5.3.1.3).
    public static let maximumLength = 254

    /// The normalized form of `raw`; throws ``PortcullisError`` `inputTooLarge` over 254 bytes and
    /// `invalidEmail` when malformed.
    public static func normalize(_ raw: String) throws(PortcullisError) -> String {
        guard raw.utf8.count <= maximumLength else {
            throw PortcullisError(.inputTooLarge, "The email address must be at most \(maximumLength) bytes.")
        }
        let trimmed = raw.trimmingSpaces
        let parts = trimmed.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."),
            !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
            trimmed.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value != 0x7F && !$0.properties.isWhitespace })
        else {
            throw PortcullisError(.invalidEmail, "Enter an email address like name@example.com.")
        }
        return trimmed.lowercased()
    }
}

extension String {
    fileprivate var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }
}
