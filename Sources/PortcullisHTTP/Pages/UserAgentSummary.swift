/// A `User-Agent` header as a person recognises their device: "Firefox on macOS",
/// "Safari on iPhone", "curl".
///
/// User agents are free text that any client can set, so this is a label for the device list,
/// never a security decision. Tokens are checked in the order that disambiguates them: every
/// Chromium-based browser also says `Chrome/` and `Safari/`, and Chrome says `Safari/` too.
package struct UserAgentSummary: Equatable, Sendable, CustomStringConvertible {
    /// The browser or client, e.g. "Firefox"; `nil` when not recognised.
    package let browser: String?
    /// The operating system or device, e.g. "macOS", "iPhone"; `nil` when not recognised.
    package let system: String?

    /// The summary of `userAgent` (`nil` when the login request sent none).
    package init(_ userAgent: String?) {
        let agent = userAgent ?? ""
        self.browser = Self.firstMatch(in: agent, Self.browsers)
        // Command-line clients say nothing useful about the system.
        self.system = Self.commandLineClients.contains(browser ?? "") ? nil : Self.firstMatch(in: agent, Self.systems)
    }

    /// "Browser on System", or what is known of it, or "Unknown browser".
    package var description: String {
        switch (browser, system) {
        case let (browser?, system?): "\(browser) on \(system)"
        case let (browser?, nil): browser
        case let (nil, system?): "Unknown browser on \(system)"
        case (nil, nil): "Unknown browser"
        }
    }

    private static func firstMatch(in agent: String, _ table: [(token: String, name: String)]) -> String? {
        table.first { agent.contains($0.token) }?.name
    }

    /// Browser tokens, most specific first.
    private static let browsers: [(token: String, name: String)] = [
        ("curl/", "curl"),
        ("Wget/", "Wget"),
        ("Edg/", "Edge"), ("EdgA/", "Edge"), ("EdgiOS/", "Edge"),
        ("OPR/", "Opera"), ("OPT/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("Firefox/", "Firefox"), ("FxiOS/", "Firefox"),
        ("HeadlessChrome/", "Headless Chrome"),
        ("CriOS/", "Chrome"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
    ]

    private static let commandLineClients: Set<String> = ["curl", "Wget"]

    /// System tokens, most specific first (Android says `Linux`, iOS says `like Mac OS X`).
    private static let systems: [(token: String, name: String)] = [
        ("iPhone", "iPhone"),
        ("iPad", "iPad"),
        ("Android", "Android"),
        ("Windows", "Windows"),
        ("CrOS", "ChromeOS"),
        ("Macintosh", "macOS"), ("Mac OS X", "macOS"),
        ("Linux", "Linux"),
    ]
}
