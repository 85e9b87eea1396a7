import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// The pages at the HTTP level: what they render, where their forms lead, and
/// what they refuse. The browser test (Tests/Browser) shows the same in Chromium.
@Suite("Pages")
struct PageTests {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    @Test func signUpAndSignInPagesAreAccessibleDocuments() async throws {
        try await TestApp().test { client in
            for (path, autocomplete) in [("/register", "new-password"), ("/login", "current-password")] {
                let response = try await client.get(path)
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/html; charset=utf-8")
                #expect(response.headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
                #expect(response.headers[.cacheControl] == "no-store")
                let page = response.text
                #expect(page.hasPrefix("<!doctype html>"))
                #expect(page.contains("<html lang=\"en\">"))
                #expect(page.contains("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"))
                #expect(
                    page.contains("<label for=\"email\">")
                        && page.contains("<input id=\"email\" name=\"email\" type=\"email\" autocomplete=\"email\"")
                )
                #expect(page.contains("<label for=\"password\">") && page.contains("autocomplete=\"\(autocomplete)\" required"))
                // Only the sign-in page loads a script: the server's own, for passkeys; never inline.
                let scripts = page.ranges(of: "<script").count
                #expect(scripts == (autocomplete == "current-password" ? 1 : 0))
                #expect(!page.contains("<script>"))
                #expect(!page.contains("csrf_token"), "a signed-out visitor has no session to bind a token to")
            }
            #expect(try await client.get("/login").text.contains("<input id=\"remember\" name=\"remember\" type=\"checkbox\""))
        }
    }

    @Test func theStylesheetIsLocalAndCachedUnderItsDigest() async throws {
        try await TestApp().test { client in
            let page = try await client.get("/login").text
            let link = try #require(page.firstMatch(of: /<link rel="stylesheet" href="([^"]+)">/)?.1)
            #expect(link.hasPrefix("/assets/portcullis.css?v="))
            let stylesheet = try await client.get(String(link))
            #expect(stylesheet.status == .ok)
            #expect(stylesheet.headers[.contentType] == "text/css; charset=utf-8")
            #expect(stylesheet.headers[.cacheControl] == "public, max-age=31536000, immutable")
            #expect(stylesheet.text.contains(":focus-visible"))
            #expect(!stylesheet.text.contains("http"), "no external hosts")
        }
    }

    @Test func registeringThroughTheFormSignsInAndRedirects() async throws {
        try await TestApp().test { client in
            let response = try await client.form("/register", ["email": "Ada@Example.com", "password": strongPassword])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/account?notice=welcome")
            let cookie = try #require(response.sessionCookieValue)
            #expect(response.headers[.setCookie]?.hasSuffix("; Path=/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax") == true)

            let account = try await client.get("/account?notice=welcome", headers: Self.cookie(cookie))
            #expect(account.status == .ok)
            #expect(account.text.contains("Signed in as <strong class=\"email\">ada@example.com</strong>"))
            #expect(account.text.contains("Your account is ready"))
            #expect(account.text.contains("<span class=\"badge\">This device</span>"))
        }
    }

    @Test func registrationErrorsSayWhatToDoAndKeepOnlyTheEmail() async throws {
        try await TestApp().test { client in
            let weak = try await client.form("/register", ["email": "ada@example.com", "password": "short"])
            #expect(weak.status == .badRequest)
            #expect(weak.text.contains("role=\"alert\""))
            #expect(weak.text.contains("at least 12 characters"))
            #expect(weak.text.contains("value=\"ada@example.com\""))
            #expect(weak.text.contains("minlength=\"12\" aria-invalid=\"true\" aria-describedby=\"form-error password-hint\">"))
            #expect(!weak.text.contains("short\""), "the password is never sent back")
            #expect(weak.headers[.setCookie] == nil)

            let malformed = try await client.form("/register", ["email": "<b>not-an-email", "password": strongPassword])
            #expect(malformed.status == .badRequest)
            #expect(malformed.text.contains("value=\"&lt;b&gt;not-an-email\""))
            #expect(!malformed.text.contains("<b>"))
            #expect(malformed.text.contains("aria-invalid=\"true\""))

            #expect(try await client.form("/register", ["email": "ada@example.com", "password": strongPassword]).status == .seeOther)
            let taken = try await client.form("/register", ["email": "ada@example.com", "password": "another long passphrase"])
            #expect(taken.status == .conflict)
            #expect(taken.text.contains("Could not create an account with this email. If you already have one, sign in."))
            #expect(!taken.text.lowercased().contains("already exists"))
            #expect(taken.headers[.setCookie] == nil)
        }
    }

    @Test func signingInThroughTheFormHonoursRememberMe() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let plain = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword])
            #expect(plain.status == .seeOther)
            #expect(plain.headers[.location] == "/account")
            #expect(plain.headers[.setCookie]?.contains("Max-Age=43200;") == true)

            let remembered = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword, "remember": "on"])
            #expect(remembered.headers[.setCookie]?.contains("Max-Age=2592000;") == true)
            let cookie = try #require(remembered.sessionCookieValue)
            #expect(try await client.get("/v1/me", headers: Self.cookie(cookie)).status == .ok)
        }
    }

    @Test func aFailedSignInNeverSaysWhichPartWasWrong() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let wrongPassword = try await client.form("/login", ["email": "ada@example.com", "password": "not the password at all"])
            let unknownAccount = try await client.form("/login", ["email": "bob@example.com", "password": strongPassword])
            for response in [wrongPassword, unknownAccount] {
                #expect(response.status == .unauthorized)
                #expect(response.text.contains("Email or password is incorrect."))
                #expect(response.headers[.setCookie] == nil)
            }
            let normalised = { (page: String, email: String) in page.replacingOccurrences(of: email, with: "EMAIL") }
            #expect(normalised(wrongPassword.text, "ada@example.com") == normalised(unknownAccount.text, "bob@example.com"))
            #expect(try await client.form("/login", ["email": "ada@example.com"]).status == .badRequest)
        }
    }

    @Test func throttledSignInsSayWhenToComeBack() async throws {
        let app = TestApp { $0.loginThrottle = CredentialThrottle.Policy(failuresPerAccount: 2, failuresPerAddress: 100, window: .seconds(600)) }
        try await app.test { client in
            try await client.register("ada@example.com")
            for _ in 0..<2 {
                #expect(try await client.form("/login", ["email": "ada@example.com", "password": "wrong wrong wrong"]).status == .unauthorized)
            }
            let throttled = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword])
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] == "600")
            #expect(throttled.text.contains("Try again in 10 minutes."))
        }
    }

    @Test func signedOutVisitorsAreSentToSignInAndBack() async throws {
        try await TestApp().test { client in
            let bare = try await client.get("/account")
            #expect(bare.status == .seeOther)
            #expect(bare.headers[.location] == "/login?next=/account")
            let withQuery = try await client.get("/account?notice=app-revoked")
            #expect(withQuery.headers[.location] == "/login?next=/account%3Fnotice%3Dapp-revoked")

            let login = try await client.get("/login?next=/account%3Fnotice%3Dapp-revoked")
            #expect(login.text.contains("<input type=\"hidden\" name=\"next\" value=\"/account?notice=app-revoked\">"))
            try await client.register("ada@example.com")
            let signedIn = try await client.form(
                "/login",
                ["email": "ada@example.com", "password": strongPassword, "next": "/account?notice=app-revoked"]
            )
            #expect(signedIn.status == .seeOther)
            #expect(signedIn.headers[.location] == "/account?notice=app-revoked")

            // A signed-in visitor is not shown the forms again.
            let cookie = try #require(signedIn.sessionCookieValue)
            #expect(try await client.get("/login?next=/v1/me", headers: Self.cookie(cookie)).headers[.location] == "/v1/me")
            #expect(try await client.get("/register", headers: Self.cookie(cookie)).headers[.location] == "/account")
        }
    }

    static let evilTargets = [
        "https://evil.example", "http://evil.example/account", "//evil.example", "///evil.example", "/\\evil.example",
        "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", "javascript:alert(1)", "evil.example", "https:evil.example",
        " /account", "/account\r\nSet-Cookie: x=y", "/\u{3000}/evil.example", "",
    ]

    @Test(arguments: evilTargets)
    func signingInNeverLeavesThisServer(next: String) async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let page = try await client.get("/login?next=" + percentEncoded(next))
            #expect(!page.text.contains("name=\"next\""))
            let response = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword, "next": next])
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/account")
            let cookie = try #require(response.sessionCookieValue)
            let again = try await client.get("/login?next=" + percentEncoded(next), headers: Self.cookie(cookie))
            #expect(again.headers[.location] == "/account")
        }
    }

    @Test func everySignedInFormNeedsItsCSRFToken() async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let familyID = try Self.familyID(await client.passwordGrant("ada@example.com"))
            let actions = [
                "/logout", "/account/sessions/\(ada.sessionID)/revoke", "/account/sessions/revoke-all", "/account/apps/\(familyID)/revoke",
                "/account/two-step", "/account/two-step/confirm", "/account/two-step/recovery-codes", "/account/two-step/off",
            ]
            for action in actions {
                for fields in [[:], ["csrf_token": ""], ["csrf_token": String(ada.csrf.reversed())]] {
                    let response = try await client.form(action, fields, headers: ada.cookieHeader)
                    #expect(response.status == .forbidden, "\(action) with \(fields)")
                    #expect(response.text.contains("This form has expired"))
                    #expect(response.headers[.setCookie] == nil)
                }
            }
            #expect(try await client.get("/account", headers: ada.cookieHeader).status == .ok)
            #expect(try await client.get("/account", headers: ada.cookieHeader).text.contains("id=\"apps\""))
        }
    }

    @Test func signedOutFormPostsAreSentToSignIn() async throws {
        try await TestApp().test { client in
            for action in ["/logout", "/account/sessions/abc/revoke", "/account/sessions/revoke-all", "/account/apps/abc/revoke"] {
                let response = try await client.form(action, ["csrf_token": "anything"])
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/login")
            }
        }
    }

    @Test(arguments: ["cross-site", "same-site"])
    func crossSiteFormPostsAreRefusedEvenWithTheToken(site: String) async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let page = try await client.get("/account", headers: ada.cookieHeader).text
            let token = try #require(Self.csrfToken(in: page))
            for action in ["/logout", "/account/sessions/revoke-all", "/account/sessions/\(ada.sessionID)/revoke"] {
                let response = try await client.form(action, ["csrf_token": token], headers: ada.headers(csrf: false, [Self.secFetchSite: site]))
                #expect(response.status == .forbidden)
            }
            let login = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword], headers: [Self.secFetchSite: site])
            #expect(login.status == .forbidden)
            #expect(login.headers[.setCookie] == nil)
            #expect(
                try await client.form("/register", ["email": "eve@example.com", "password": strongPassword], headers: [Self.secFetchSite: site])
                    .status == .forbidden
            )
            #expect(try await client.get("/account", headers: ada.cookieHeader).status == .ok)
        }
    }

    @Test func anotherAccountsDevicesAndAppsCannotBeSignedOut() async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let adasApp = try await client.passwordGrant("ada@example.com")
            let familyID = try Self.familyID(adasApp)
            let mallory = try await client.signUpAndLogIn("mallory@example.com")

            let session = try await client.form(
                "/account/sessions/\(ada.sessionID)/revoke",
                ["csrf_token": mallory.csrf],
                headers: mallory.cookieHeader
            )
            #expect(session.status == .notFound)
            let app = try await client.form("/account/apps/\(familyID)/revoke", ["csrf_token": mallory.csrf], headers: mallory.cookieHeader)
            #expect(app.status == .notFound)
            #expect(app.text.contains("Nothing to sign out"))

            #expect(try await client.get("/account", headers: ada.cookieHeader).status == .ok)
            let refresh = try #require(adasApp.json["refresh_token"] as? String)
            #expect(try await client.refreshGrant(refresh).status == .ok)
            #expect(!(try await client.get("/account", headers: mallory.cookieHeader).text.contains(ada.sessionID)))
        }
    }

    @Test func aDeviceIsSignedOutFromAnother() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let phone = try await client.logIn(
                "ada@example.com",
                headers: [
                    .userAgent:
                        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
                ]
            ).browser()
            let list = try await client.get("/account", headers: laptop.cookieHeader).text
            #expect(list.components(separatedBy: "<li class=\"item device\"").count == 3)
            #expect(list.contains("Safari on iPhone"))
            #expect(list.contains("action=\"/account/sessions/\(phone.sessionID)/revoke\""))

            let response = try await client.form(
                "/account/sessions/\(phone.sessionID)/revoke",
                ["csrf_token": laptop.csrf],
                headers: laptop.cookieHeader
            )
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/account?notice=device-signed-out")
            #expect(response.headers[.setCookie] == nil)
            #expect(try await client.get("/account", headers: phone.cookieHeader).headers[.location] == "/login?next=/account")
            #expect(try await client.get("/account", headers: laptop.cookieHeader).status == .ok)

            let again = try await client.form(
                "/account/sessions/\(phone.sessionID)/revoke",
                ["csrf_token": laptop.csrf],
                headers: laptop.cookieHeader
            )
            #expect(again.status == .notFound)
        }
    }

    @Test func signingOutThisDeviceClearsItsCookie() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let response = try await client.form(
                "/account/sessions/\(laptop.sessionID)/revoke",
                ["csrf_token": laptop.csrf],
                headers: laptop.cookieHeader
            )
            #expect(response.headers[.location] == "/login?notice=signed-out")
            #expect(response.headers[.setCookie] == SessionCookie.clearing)

            let other = try await client.logIn("ada@example.com").browser()
            let logout = try await client.form("/logout", ["csrf_token": other.csrf], headers: other.cookieHeader)
            #expect(logout.status == .seeOther)
            #expect(logout.headers[.location] == "/login?notice=signed-out")
            #expect(logout.headers[.setCookie] == SessionCookie.clearing)
            #expect(logout.headers[HTTPField.Name("Clear-Site-Data")!] == "\"cookies\"")
            #expect(try await client.get("/v1/me", headers: other.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/login?notice=signed-out").text.contains("You have signed out."))
        }
    }

    @Test func signingOutEverywhereEndsEverySessionAndApp() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let phone = try await client.logIn("ada@example.com").browser()
            let app = try await client.passwordGrant("ada@example.com")

            let response = try await client.form("/account/sessions/revoke-all", ["csrf_token": laptop.csrf], headers: laptop.cookieHeader)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/login?notice=signed-out-everywhere")
            #expect(response.headers[.setCookie] == SessionCookie.clearing)
            for browser in [laptop, phone] {
                #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
            }
            #expect(try await client.refreshGrant(try #require(app.json["refresh_token"] as? String)).status == .badRequest)
            #expect(try await client.get("/v1/me", headers: bearer(try #require(app.json["access_token"] as? String))).status == .unauthorized)
        }
    }

    @Test func appsSignedInWithTokensAreListedAndRevoked() async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.get("/account", headers: ada.cookieHeader).text.contains("No apps are signed in with tokens."))
            let app = try await client.passwordGrant("ada@example.com")
            let familyID = try Self.familyID(app)
            let page = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(page.contains("action=\"/account/apps/\(familyID)/revoke\""))

            let response = try await client.form("/account/apps/\(familyID)/revoke", ["csrf_token": ada.csrf], headers: ada.cookieHeader)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/account?notice=app-revoked")
            #expect(try await client.refreshGrant(try #require(app.json["refresh_token"] as? String)).status == .badRequest)
            #expect(try await client.get("/v1/me", headers: bearer(try #require(app.json["access_token"] as? String))).status == .unauthorized)
            let after = try await client.get("/account?notice=app-revoked", headers: ada.cookieHeader).text
            #expect(after.contains("That app has been signed out."))
            #expect(!after.contains(familyID))
        }
    }

    @Test func theDeviceListNamesBrowsersAndNeverRepeatsWhatTheySent() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let hostile = "<img src=x onerror=alert(1)> Mozilla/5.0 (Windows NT 10.0; Win64; x64) Firefox/128.0"
            let browser = try await client.logIn("ada@example.com", headers: [.userAgent: hostile]).browser()
            let page = try await client.get("/account?notice=%3Cscript%3E", headers: browser.cookieHeader).text
            #expect(page.contains("Firefox on Windows"))
            #expect(!page.contains("<img src=x"))
            #expect(!page.contains("onerror"))
            #expect(!page.contains("<script>"))
            #expect(!page.contains("alert-notice"), "an unknown notice shows nothing")
        }
    }

    // MARK: Helpers

    static func cookie(_ value: String) -> HTTPFields { [.cookie: "__Host-portcullis_session=\(value)"] }

    static func csrfToken(in page: String) -> String? {
        page.firstMatch(of: /name="csrf_token" value="([^"]+)"/).map { String($0.1) }
    }

    /// The refresh family a password grant started: its access token's `sid`.
    static func familyID(_ grant: TestResponse) throws -> String {
        let access = try #require(grant.json["access_token"] as? String)
        let payload = try #require(Data(base64URLEncoded: String(access.split(separator: ".")[1])))
        let claims = try #require(try JSONSerialization.jsonObject(with: payload) as? [String: Any])
        return try #require(claims["sid"] as? String)
    }
}

extension Data {
    init?(base64URLEncoded text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}

/// `text` as a URL query or form value: every byte but unreserved characters percent-encoded.
func percentEncoded(_ text: String) -> String {
    text.addingPercentEncoding(
        withAllowedCharacters: CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
    ) ?? ""
}

extension TestClientProtocol {
    /// A form post as a browser sends it (`application/x-www-form-urlencoded`).
    func form(_ uri: String, _ fields: [String: String], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\(percentEncoded($0.value))" }
            .joined(separator: "&")
        return try await executeRequest(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }
}
