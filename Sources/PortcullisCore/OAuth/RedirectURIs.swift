/// The redirect URIs a client registered, and the one rule for matching them (OAuth 2.1):
/// exact string comparison, with a single exception for native apps (RFC 8252 §7.3). A
/// loopback IP redirect (`http://127.0.0.1` or `http://[::1]`) may name any port at request
/// time, since the app listens on whichever port it gets. Nothing else varies: not a prefix,
/// not a path, not a port of any other host, not the case of a letter.
public struct RedirectURIs: Sendable, Hashable {
    /// The registered URIs, as registered.
    public let registered: [String]

    /// Why a URI cannot be registered.
    public enum Refusal: Error, Sendable, Hashable {
        /// Not an absolute URI with a scheme, or longer than 2,000 bytes.
        case notAbsolute(String)
        /// It carries a `#fragment` (RFC 6749 §3.1.2).
        case fragment(String)
        /// Plain `http` to a host other than the loopback interface.
        case insecure(String)
        /// Characters that have no place in a URI (spaces, controls, non-ASCII).
        case illegalCharacters(String)
    }

    /// Checks each URI: absolute, no fragment, `https` or a loopback `http` (or a native app's
    /// private-use scheme such as `com.example.app:/callback`), printable ASCII only.
    public init(_ uris: [String]) throws(Refusal) {
        for uri in uris { try Self.check(uri) }
        registered = uris
    }

    /// Whether `requested` is one of the registered URIs.
    public func allows(_ requested: String) -> Bool {
        if registered.contains(requested) { return true }
        guard let requestedShape = Self.loopbackWithoutPort(requested) else { return false }
        return registered.contains { Self.loopbackWithoutPort($0) == requestedShape }
    }

    private static func check(_ uri: String) throws(Refusal) {
        guard uri.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw .illegalCharacters(uri) }
        guard uri.utf8.count <= 2000, let colon = uri.firstIndex(of: ":"), isScheme(uri[..<colon]) else { throw .notAbsolute(uri) }
        guard !uri.contains("#") else { throw .fragment(uri) }
        let scheme = uri[..<colon].lowercased()
        if scheme == "http" {
            guard loopbackWithoutPort(uri) != nil || isLocalhost(uri) else { throw .insecure(uri) }
        } else if scheme == "https" {
            guard uri.hasPrefix("https://"), uri.count > "https://".count else { throw .notAbsolute(uri) }
        }
    }

    /// A scheme: a letter, then letters, digits, `+`, `-` or `.` (RFC 3986 §3.1).
    private static func isScheme(_ text: Substring) -> Bool {
        guard let first = text.utf8.first, isLetter(first) else { return false }
        return text.utf8.allSatisfy {
            isLetter($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }

    /// `http://localhost[:port]/…`: registrable for development, matched exactly (RFC 8252
    /// recommends the IP literal, which cannot be pointed elsewhere by a hosts file).
    private static func isLocalhost(_ uri: String) -> Bool {
        guard uri.hasPrefix("http://localhost") else { return false }
        let rest = uri.dropFirst("http://localhost".count)
        return rest.isEmpty || rest.first == ":" || rest.first == "/" || rest.first == "?"
    }

    /// A loopback IP redirect with its port removed (`http://127.0.0.1/callback` for
    /// `http://127.0.0.1:51004/callback`), or `nil` for any other URI.
    static func loopbackWithoutPort(_ uri: String) -> String? {
        for host in ["http://127.0.0.1", "http://[::1]"] where uri.hasPrefix(host) {
            var rest = uri.dropFirst(host.count)
            if rest.first == ":" {
                let digits = rest.dropFirst().prefix { $0.isASCII && $0.isNumber }
                guard (1...5).contains(digits.count), let port = Int(digits), (1...65535).contains(port), !digits.hasPrefix("0") else { return nil }
                rest = rest.dropFirst(1 + digits.count)
            }
            guard rest.isEmpty || rest.first == "/" || rest.first == "?" else { return nil }
            return host + rest
        }
        return nil
    }
}
