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
        /// Userinfo (`user@host`) in the authority, which hides the real host from a reader.
        case userinfo(String)
        /// A scheme other than `http(s)` that is not a native app's reverse-domain scheme
        /// (RFC 8252 §7.1): `javascript:`, `data:` and `file:` are among those refused.
        case unsafeScheme(String)
    }

    /// Checks each URI: absolute, no fragment, printable ASCII only, and `https`, a loopback
    /// `http`, or a native app's reverse-domain scheme such as `com.example.app:/callback`.
    public init(_ uris: [String]) throws(Refusal) {
        for uri in uris { try Self.check(uri) }
        registered = uris
    }

    /// Whether `requested` is one of the registered URIs, compared byte for byte (String's `==`
    /// would equate canonically equivalent characters).
    public func allows(_ requested: String) -> Bool {
        if registered.contains(where: { $0.utf8.elementsEqual(requested.utf8) }) { return true }
        guard let requestedShape = Self.loopbackWithoutPort(requested) else { return false }
        return registered.contains { Self.loopbackWithoutPort($0).map { $0.elementsEqual(requestedShape) } ?? false }
    }

    private static func check(_ uri: String) throws(Refusal) {
        let bytes = Array(uri.utf8)
        guard bytes.allSatisfy({ (0x21...0x7E).contains($0) }) else { throw .illegalCharacters(uri) }
        guard bytes.count <= 2000, let colon = bytes.firstIndex(of: UInt8(ascii: ":")), isScheme(bytes[..<colon]) else {
            throw .notAbsolute(uri)
        }
        guard !bytes.contains(UInt8(ascii: "#")) else { throw .fragment(uri) }
        let scheme = String(decoding: bytes[..<colon], as: UTF8.self).lowercased()
        switch scheme {
        case "http", "https":
            let afterScheme = bytes[(colon + 1)...]
            guard afterScheme.starts(with: "//".utf8) else { throw .notAbsolute(uri) }
            let authority = afterScheme.dropFirst(2).prefix { $0 != UInt8(ascii: "/") && $0 != UInt8(ascii: "?") }
            guard !authority.isEmpty else { throw .notAbsolute(uri) }
            guard !authority.contains(UInt8(ascii: "@")) else { throw .userinfo(uri) }
            if scheme == "http" {
                guard loopbackWithoutPort(uri) != nil || pathAfter(host: "http://localhost", in: bytes) != nil else { throw .insecure(uri) }
            }
        default:
            guard scheme.contains(".") else { throw .unsafeScheme(uri) }
        }
    }

    /// A scheme: a letter, then letters, digits, `+`, `-` or `.` (RFC 3986 §3.1).
    private static func isScheme(_ bytes: ArraySlice<UInt8>) -> Bool {
        guard let first = bytes.first, isLetter(first) else { return false }
        return bytes.allSatisfy {
            isLetter($0) || (0x30...0x39).contains($0) || $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
        }
    }

    private static func isLetter(_ byte: UInt8) -> Bool { (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte) }

    /// The path and query of `uri` when it is `host` followed by nothing else in the
    /// authority: an optional `:port` (1–65535, no leading zero), then the end, `/` or `?`.
    /// `nil` otherwise (`host.evil.example`, `host@evil.example`, `host:0`).
    private static func pathAfter(host: String, in uri: [UInt8]) -> ArraySlice<UInt8>? {
        guard uri.starts(with: host.utf8) else { return nil }
        var rest = uri[host.utf8.count...]
        if rest.first == UInt8(ascii: ":") {
            let digits = rest.dropFirst().prefix { (0x30...0x39).contains($0) }
            guard (1...5).contains(digits.count), digits.first != UInt8(ascii: "0") else { return nil }
            let value = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
            guard value <= 65535 else { return nil }
            rest = rest.dropFirst(1 + digits.count)
        }
        guard rest.isEmpty || rest.first == UInt8(ascii: "/") || rest.first == UInt8(ascii: "?") else { return nil }
        return rest
    }

    /// A loopback IP redirect with its port removed (`http://127.0.0.1/callback` for
    /// `http://127.0.0.1:51004/callback`), or `nil` for any other URI. `http://localhost` is
    /// registrable for development but matched exactly: RFC 8252 recommends the IP literal,
    /// which no hosts file can point elsewhere.
    static func loopbackWithoutPort(_ uri: String) -> [UInt8]? {
        let bytes = Array(uri.utf8)
        for host in ["http://127.0.0.1", "http://[::1]"] {
            if let path = pathAfter(host: host, in: bytes) { return Array(host.utf8) + path }
        }
        return nil
    }
}
