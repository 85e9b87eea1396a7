/// Where a page may send the browser after signing in: only a path on this server.
///
/// The `next` parameter comes from the address bar, so anyone can write it; taken as is it would
/// make the login page an open redirect (a trusted link that lands on an attacker's site). A
/// target is accepted only if it is an absolute path: it starts with a single `/`, not `//`
/// nor `/\` (which browsers read as another host), and holds only visible ASCII, so no scheme,
/// no backslash and no control character (browsers drop tabs and newlines, which could turn
/// `/\t/evil.example` into `//evil.example`). Anything else becomes ``fallback``.
enum LocalRedirect {
    /// Where the browser goes when there is no acceptable target: the account page.
    static let fallback = "/account"

    /// The longest target kept; longer ones are not worth the risk.
    static let maximumLength = 2048

    /// `candidate` if it is a safe same-origin path, else ``fallback``.
    static func target(_ candidate: String?) -> String {
        guard let candidate, isLocalPath(candidate) else { return fallback }
        return candidate
    }

    /// Whether `candidate` is a path on this server that is safe to redirect to.
    static func isLocalPath(_ candidate: String) -> Bool {
        let bytes = Array(candidate.utf8)
        guard bytes.count <= maximumLength, bytes.first == UInt8(ascii: "/") else { return false }
        if bytes.count > 1, bytes[1] == UInt8(ascii: "/") { return false }
        return bytes.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\\") }
    }

    /// `path` as a query value: every byte but unreserved characters and `/` percent-encoded.
    static func queryEncoded(_ path: String) -> String {
        var encoded = ""
        for byte in path.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "/"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" + hex : hex)
            }
        }
        return encoded
    }
}
