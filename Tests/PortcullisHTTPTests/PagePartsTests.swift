import Foundation
import Testing

@testable import PortcullisHTTP

/// The small pieces the pages are made of, one by one.
@Suite("Page parts")
struct PagePartsTests {
    @Test(arguments: ["/account", "/account?notice=welcome", "/v1/me", "/a/b/c#section", "/", "/account?next=%2F%2Fevil"])
    func localPathsAreKept(path: String) {
        #expect(LocalRedirect.isLocalPath(path))
        #expect(LocalRedirect.target(path) == path)
    }

    @Test(arguments: PageTests.evilTargets + [String(repeating: "/a", count: 1025)])
    func everythingElseBecomesTheAccountPage(target: String) {
        #expect(!LocalRedirect.isLocalPath(target))
        #expect(LocalRedirect.target(target) == "/account")
    }

    @Test func aMissingTargetIsTheAccountPage() {
        #expect(LocalRedirect.target(nil) == "/account")
    }

    @Test func targetsAreEncodedAsQueryValues() {
        #expect(LocalRedirect.queryEncoded("/account") == "/account")
        #expect(LocalRedirect.queryEncoded("/account?a=b&c=d e") == "/account%3Fa%3Db%26c%3Dd%20e")
        #expect(LocalRedirect.queryEncoded("/é") == "/%C3%A9")
    }

    @Test(arguments: [
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 14.5; rv:128.0) Gecko/20100101 Firefox/128.0", "Firefox on macOS"),
        (
            "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
            "Chrome on Android"
        ),
        (
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
            "Safari on iPhone"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 Edg/126.0.2592.87",
            "Edge on Windows"
        ),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on Windows"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15", "Safari on macOS"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/126.0.6478.54 Mobile/15E148 Safari/604.1",
            "Chrome on iPad"
        ),
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/126.0.0.0 Safari/537.36", "Headless Chrome on Linux"),
        ("Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0", "Firefox on Linux"),
        ("Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36", "Chrome on ChromeOS"),
        (
            "Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/25.0 Chrome/121.0.0.0 Mobile Safari/537.36",
            "Samsung Internet on Android"
        ),
        (
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Safari/537.36 OPR/111.0.0.0",
            "Opera on Windows"
        ),
        ("curl/8.5.0", "curl"),
        ("Mozilla/5.0 (Windows NT 10.0) SomethingNew/1.0", "Unknown browser on Windows"),
        ("python-requests/2.32", "Unknown browser"),
        ("", "Unknown browser"),
    ])
    func userAgentsAreNamedAsPeopleKnowThem(userAgent: String, expected: String) {
        #expect(UserAgentSummary(userAgent).description == expected)
    }

    @Test func aMissingUserAgentIsAnUnknownBrowser() {
        #expect(UserAgentSummary(nil).description == "Unknown browser")
    }

    @Test(arguments: [
        (Int64(0), "1 Jan 1970, 00:00 UTC", "1970-01-01T00:00:00Z"),
        (1_795_962_300, "29 Nov 2026, 14:25 UTC", "2026-11-29T14:25:00Z"),
        (951_782_400, "29 Feb 2000, 00:00 UTC", "2000-02-29T00:00:00Z"),
        (4_107_542_399, "28 Feb 2100, 23:59 UTC", "2100-02-28T23:59:59Z"),
        (-1, "31 Dec 1969, 23:59 UTC", "1969-12-31T23:59:59Z"),
    ])
    func timesAreShownInUTC(epochSeconds: Int64, readable: String, machine: String) {
        let time = DisplayTime(Date(timeIntervalSince1970: TimeInterval(epochSeconds)))
        #expect(time.readable == readable)
        #expect(time.machine == machine)
    }

    @Test func displayedDatesAgreeWithFoundationOverFourCenturies() {
        let formatter = ISO8601DateFormatter()
        formatter.timeZone = TimeZone(identifier: "UTC")
        var seconds: Int64 = -2_208_988_800  // 1900-01-01
        while seconds < 10_413_792_000 {  // 2300-01-01
            let date = Date(timeIntervalSince1970: TimeInterval(seconds))
            #expect(DisplayTime(date).machine == formatter.string(from: date))
            seconds += 86_400 * 7 + 3_599  // a week and nearly an hour: every weekday and hour in turn
        }
    }

    @Test func interpolatedTextIsEscapedAndMarkupIsNot() {
        let text = "<b>\"Tom\" & 'Jerry'</b>"
        let fragment: HTML = "<em>\(text)</em>"
        #expect(fragment.markup == "<em>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</em>")
        let character = "a<"
        let items: [HTML] = ["<li>\(character)</li>", "<li>\(2)</li>"]
        let list: HTML = "<ul>\(items)\(fragment)</ul>"
        #expect(list.markup == "<ul><li>a&lt;</li><li>2</li><em>&lt;b&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/b&gt;</em></ul>")
    }

    @Test func lifetimesAreSpokenInTheirLargestWholeUnit() {
        #expect(LoginPage.spoken(.seconds(30 * 86_400)) == "30 days")
        #expect(LoginPage.spoken(.seconds(86_400)) == "1 day")
        #expect(LoginPage.spoken(.seconds(12 * 3600)) == "12 hours")
        #expect(LoginPage.spoken(.seconds(90 * 60)) == "90 minutes")
        #expect(LoginPage.spoken(.seconds(30)) == "30 seconds")
    }
}
