import Foundation
import Testing

/// The pages in headless Chromium (Tests/Browser/pages_in_chromium.py), with mail through a real
/// SMTP server whose links the browser follows: cookies, `SameSite`,
/// `HttpOnly`, cross-site forms and redirects are browser behaviour, shown here in a browser
/// against the built `portcullis` executable. Needs /usr/bin/chromium, /usr/bin/chromedriver and
/// Selenium, which Scripts/test installs.
@Suite("Pages in a browser")
struct BrowserPageTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Where the screenshots go: `PORTCULLIS_SCREENSHOTS`, or `.build/screenshots`.
    static let screenshots: URL =
        ProcessInfo.processInfo.environment["PORTCULLIS_SCREENSHOTS"].map { URL(fileURLWithPath: $0) }
        ?? packageRoot.appendingPathComponent(".build/screenshots")

    @Test(.timeLimit(.minutes(5)))
    func signUpSignInDevicesAttacksAndRecoveryInChromium() async throws {
        let script = Self.packageRoot.appendingPathComponent("Tests/Browser/pages_in_chromium.py")
        let (status, output) = await offloaded { () -> (Int32, String) in
            let python = Process()
            python.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            python.arguments = ["python3", script.path, PortcullisBinary.url.path, Self.screenshots.path]
            let pipe = Pipe()
            python.standardOutput = pipe
            python.standardError = pipe
            do {
                try python.run()
            } catch {
                return (-1, "python3 could not be started: \(error)")
            }
            let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            python.waitUntilExit()
            return (python.terminationStatus, output)
        }
        #expect(status == 0, "the browser test failed:\n\(output)")
        for page in ["register", "login", "account", "verify-email", "forgot-password", "reset-password"] {
            for width in ["phone", "desktop"] {
                #expect(FileManager.default.fileExists(atPath: Self.screenshots.appendingPathComponent("\(page)-\(width).png").path))
            }
        }
    }
}
