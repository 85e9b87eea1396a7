/// Web origins (RFC 6454) as compared by the CSRF checks.
enum Origin {
    /// `scheme://host[:port]` in lowercase with the scheme's default port removed, or `nil` when
    /// `url` is not an absolute http(s) URL. Paths are dropped.
    static func normalize(_ url: some StringProtocol) -> String? {
        let lowered = url.lowercased()
        let scheme: String
        if lowered.hasPrefix("https://") { scheme = "https" } else if lowered.hasPrefix("http://") { scheme = "http" } else { return nil }
        let rest = lowered.dropFirst(scheme.count + 3)
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.contains("@") else { return nil }
        let defaultPort = scheme == "https" ? ":443" : ":80"
        let hostAndPort = authority.hasSuffix(defaultPort) ? String(authority.dropLast(defaultPort.count)) : String(authority)
        return "\(scheme)://\(hostAndPort)"
    }
}
