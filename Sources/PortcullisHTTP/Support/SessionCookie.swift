public import HTTPTypes
public import PortcullisCore

/// The carrier of the session secret: the `__Host-portcullis_session` cookie, `Secure`, `HttpOnly`,
/// `SameSite=Lax` and `Path=/`, with no `Domain`, as the `__Host-` prefix requires.
///
/// `__Host-` makes browsers refuse it unless it is `Secure`, has `Path=/` and no `Domain`, so no
/// sibling subdomain can plant or overwrite it. Read and written here rather than with
/// Hummingbird's `Cookies`, which picks the first of two same-named cookies (docs/design.md#libraries-and-what-is-written-here-instead).
public enum SessionCookie {
    /// The cookie's name, exactly.
    public static let name = "__Host-portcullis_session"

    /// The secret carried by the request, or `nil` when there is none, when the value was not
    /// issued by Portcullis, or when the cookie appears more than once (an attacker who can
    /// plant a second cookie must not choose which one is used).
    public static func secret(in headers: HTTPFields) -> SessionSecret? {
        // Byte-wise: this runs on every request, and `Character` splitting costs grapheme breaking.
        var found: Substring.UTF8View?
        var count = 0
        for field in headers where field.name == .cookie {
            for pair in field.value.utf8.split(separator: semicolon) {
                let trimmed = pair.drop { $0 == space || $0 == tab }
                guard let equals = trimmed.firstIndex(of: equalsSign) else { continue }
                if trimmed[..<equals].elementsEqual(name.utf8) {
                    count += 1
                    found = trimmed[trimmed.index(after: equals)...]
                }
            }
        }
        guard count == 1, let found else { return nil }
        return SessionSecret(cookieValue: Substring(found))
    }

    private static let semicolon = UInt8(ascii: ";")
    private static let space = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")
    private static let equalsSign = UInt8(ascii: "=")

    /// The `Set-Cookie` value that stores `secret` for `maxAge` seconds.
    public static func setting(_ secret: SessionSecret, maxAge: Int) -> String {
        "\(name)=\(secret.cookieValue); Path=/; Max-Age=\(max(0, maxAge)); Secure; HttpOnly; SameSite=Lax"
    }

    /// The `Set-Cookie` value that removes the cookie.
    public static let clearing = "\(name)=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax"
}
