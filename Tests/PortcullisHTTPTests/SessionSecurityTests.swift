import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// docs/security.md#sessions-and-cookies: each test performs the attack and asserts the refusal.
@Suite("Session attacks")
struct SessionSecurityTests {
    @Test func loginNeverPromotesACookieSentWithIt() async throws {
        // Fixation: the attacker plants their own valid session cookie in the victim's browser.
        let app = TestApp()
        try await app.test { client in
            let planted = try await client.signUpAndLogIn("mallory@example.com")
            try await client.register("ada@example.com")
            let response = try await client.logIn("ada@example.com", headers: planted.cookieHeader)
            let victim = try response.browser()
            #expect(victim.cookie != planted.cookie)
            #expect(victim.sessionID != planted.sessionID)
            #expect(try await client.get("/v1/me", headers: planted.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: victim.cookieHeader).json["email"] as? String == "ada@example.com")
        }
    }

    @Test func loginWithAnUnissuedCookieIssuesAFreshValue() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let chosen = String(repeating: "A", count: 43)
            let response = try await client.logIn("ada@example.com", headers: [.cookie: "__Host-portcullis_session=\(chosen)"])
            #expect(response.status == .created)
            #expect(response.sessionCookieValue != chosen)
        }
    }

    @Test(arguments: [
        String(repeating: "A", count: 43),  // well-formed, never issued
        "not-a-session",  // malformed
        String(repeating: "x", count: 2000),  // long
        "",
    ])
    func unissuedCookieValuesAreRefusedAndCreateNothing(value: String) async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            let response = try await client.get("/v1/me", headers: [.cookie: "__Host-portcullis_session=\(value)"])
            #expect(response.status == .unauthorized)
            #expect(response.headers[.setCookie] == nil)
            #expect(try await app.store.sessions(accountID: account.id).map(\.id) == [browser.sessionID])
        }
    }

    @Test func duplicateSessionCookiesAreNeverUsed() async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let mallory = try await client.signUpAndLogIn("mallory@example.com")
            let both = "__Host-portcullis_session=\(mallory.cookie); __Host-portcullis_session=\(ada.cookie)"
            #expect(try await client.get("/v1/me", headers: [.cookie: both]).status == .unauthorized)
            let same = "__Host-portcullis_session=\(ada.cookie); __Host-portcullis_session=\(ada.cookie)"
            #expect(try await client.get("/v1/me", headers: [.cookie: same]).status == .unauthorized)
            var twoLines = HTTPFields()
            twoLines.append(HTTPField(name: .cookie, value: "__Host-portcullis_session=\(ada.cookie)"))
            twoLines.append(HTTPField(name: .cookie, value: "__Host-portcullis_session=\(mallory.cookie)"))
            #expect(try await client.get("/v1/me", headers: twoLines).status == .unauthorized)
        }
    }

    @Test func theSessionCookieIsFoundAmongOthersInAnyCookieHeader() throws {
        let secret = SessionSecret.generate()
        let value = "\(SessionCookie.name)=\(secret.cookieValue)"
        for header in ["\(value)", "a=1; \(value); b=2", "a=1;\t \(value)", "theme=dark;\(value);"] {
            #expect(SessionCookie.secret(in: [.cookie: header]) == secret, "\(header)")
        }
        var split = HTTPFields()
        split.append(HTTPField(name: .cookie, value: "a=1"))
        split.append(HTTPField(name: .cookie, value: value))
        #expect(SessionCookie.secret(in: split) == secret)
        for header in ["a=1", "\(value)x", "\(SessionCookie.name)", "\(value); \(value)", "x\(value)"] {
            #expect(SessionCookie.secret(in: [.cookie: header]) == nil, "\(header)")
        }
    }

    @Test(arguments: ["portcullis_session", "__host-portcullis_session", "__Secure-portcullis_session", "__Host-portcullis_session "])
    func cookiesWithoutTheExactPrefixedNameAreIgnored(name: String) async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.get("/v1/me", headers: [.cookie: "\(name)=\(ada.cookie)"]).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: [.cookie: "other=1; \(name)=\(ada.cookie)"]).status == .unauthorized)
        }
    }

    @Test func idleTimeoutIsEnforcedByTheServer() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            app.clock.advance(by: .seconds(29 * 60))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)  // use resets the idle timer
            app.clock.advance(by: .seconds(29 * 60))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
            app.clock.advance(by: .seconds(30 * 60))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
            #expect(try await app.store.session(id: browser.sessionID) == nil)
        }
    }

    @Test func absoluteTimeoutIsEnforcedEvenForAnActiveSession() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            for _ in 0..<47 {  // 47 × 15 min = 11h45m of steady use
                app.clock.advance(by: .seconds(15 * 60))
                #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
            }
            app.clock.advance(by: .seconds(15 * 60))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
        }
    }

    @Test func rememberedSessionsOutliveTheOrdinaryIdleTimeoutButNotTheirOwn() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com", remember: true)
            app.clock.advance(by: .seconds(6 * 86400))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
            app.clock.advance(by: .seconds(7 * 86400 + 1))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
        }
    }

    @Test func configuredLifetimesApply() async throws {
        let app = TestApp { $0.sessions.idle = .seconds(120) }
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            app.clock.advance(by: .seconds(121))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
        }
    }

    @Test func theOldCookieIsDeadAfterLogoutEvenIfTheBrowserKeepsIt() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .noContent)
            #expect(try await client.get("/v1/session", headers: browser.cookieHeader).status == .unauthorized)
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .unauthorized)
        }
    }
}
