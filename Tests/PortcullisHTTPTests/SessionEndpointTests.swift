import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

@Suite("Session endpoints")
struct SessionEndpointTests {
    @Test func loginAnswersWithSessionUserAndCSRFTokenAndSetsTheCookie() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let response = try await client.logIn("ada@example.com", headers: [.userAgent: "TestBrowser/1.0"])
            #expect(response.status == .created)
            let cookie = try #require(response.headers[.setCookie])
            let value = try #require(response.sessionCookieValue)
            #expect(cookie == "__Host-portcullis_session=\(value); Path=/; Max-Age=43200; Secure; HttpOnly; SameSite=Lax")
            #expect(value.count == 43)  // 256 bits, base64url
            let session = try #require(response.json["session"] as? [String: Any])
            let sessionID = try #require(session["id"] as? String)
            #expect(!value.contains(sessionID) && !sessionID.contains(value))
            #expect(session["user_agent"] as? String == "TestBrowser/1.0")
            #expect(session["current"] as? Bool == true)
            #expect(session["expires_at"] as? Int == (session["created_at"] as? Int).map { $0 + 1800 })
            let user = try #require(response.json["user"] as? [String: Any])
            #expect(user["email"] as? String == "ada@example.com")
            #expect((response.json["csrf_token"] as? String)?.isEmpty == false)
        }
    }

    @Test func rememberMeUsesTheLongLifetimes() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let response = try await client.logIn("ada@example.com", remember: true)
            #expect(response.headers[.setCookie]?.contains("Max-Age=2592000") == true)
            let session = try #require(response.json["session"] as? [String: Any])
            #expect(session["expires_at"] as? Int == (session["created_at"] as? Int).map { $0 + 7 * 86400 })
        }
    }

    @Test func currentSessionAnswersWithTheSameShape() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let response = try await client.get("/v1/session", headers: browser.cookieHeader)
            #expect(response.status == .ok)
            #expect(response.json["csrf_token"] as? String == browser.csrf)
            #expect((response.json["session"] as? [String: Any])?["id"] as? String == browser.sessionID)
            #expect(try await client.get("/v1/session").status == .unauthorized)
        }
    }

    @Test func meDescribesTheSignedInUser() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let me = try await client.get("/v1/me", headers: browser.cookieHeader)
            #expect(me.status == .ok)
            #expect(me.json["email"] as? String == "ada@example.com")
            #expect(me.json["roles"] as? [String] == [])
            let auth = try #require(me.json["auth"] as? [String: Any])
            #expect(auth["method"] as? String == "session")
            #expect(auth["session_id"] as? String == browser.sessionID)
            #expect(auth["expires_at"] is Int)
            let anonymous = try await client.get("/v1/me")
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.headers[.contentType] == "application/problem+json")
        }
    }

    @Test func logoutEndsTheSessionOnTheServer() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let logout = try await client.delete("/v1/session", headers: browser.headers())
            #expect(logout.status == .noContent)
            #expect(logout.headers[.setCookie] == "__Host-portcullis_session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax")
            #expect(logout.headers[.cacheControl] == "no-store")
            #expect(logout.headers[HTTPField.Name("Clear-Site-Data")!] == "\"cookies\"")
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
            #expect(try await app.store.session(id: browser.sessionID) == nil)
        }
    }

    @Test func listsTheCallersSessionsOnly() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let phone = try await client.logIn("ada@example.com", headers: [.userAgent: "Phone"]).browser()
            _ = try await client.signUpAndLogIn("bob@example.com")
            let response = try await client.get("/v1/sessions", headers: laptop.cookieHeader)
            #expect(response.status == .ok)
            let sessions = try #require(response.json["sessions"] as? [[String: Any]])
            #expect(Set(sessions.compactMap { $0["id"] as? String }) == [laptop.sessionID, phone.sessionID])
            #expect(sessions.first { $0["id"] as? String == laptop.sessionID }?["current"] as? Bool == true)
            #expect(sessions.first { $0["id"] as? String == phone.sessionID }?["current"] as? Bool == false)
            for session in sessions {
                #expect(Set(session.keys) == ["id", "created_at", "last_seen_at", "expires_at", "user_agent", "ip", "current"])
            }
            #expect(try await client.get("/v1/sessions").status == .unauthorized)
        }
    }

    @Test func revokesOneOfTheCallersSessions() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let phone = try await client.logIn("ada@example.com").browser()
            let bob = try await client.signUpAndLogIn("bob@example.com")

            #expect(try await client.delete("/v1/sessions/\(bob.sessionID)", headers: laptop.headers()).status == .notFound)
            #expect(try await client.get("/v1/me", headers: bob.cookieHeader).status == .ok)

            let revoked = try await client.delete("/v1/sessions/\(phone.sessionID)", headers: laptop.headers())
            #expect(revoked.status == .noContent)
            #expect(revoked.headers[.setCookie] == nil)
            #expect(try await client.get("/v1/me", headers: phone.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: laptop.cookieHeader).status == .ok)
            #expect(try await client.delete("/v1/sessions/\(phone.sessionID)", headers: laptop.headers()).status == .notFound)
        }
    }

    @Test func signOutEverywhereEndsEverySessionIncludingTheCurrentOne() async throws {
        try await TestApp().test { client in
            let laptop = try await client.signUpAndLogIn("ada@example.com")
            let phone = try await client.logIn("ada@example.com").browser()
            let bob = try await client.signUpAndLogIn("bob@example.com")
            let response = try await client.delete("/v1/sessions", headers: laptop.headers())
            #expect(response.status == .noContent)
            #expect(response.headers[.setCookie]?.contains("Max-Age=0") == true)
            #expect(try await client.get("/v1/me", headers: laptop.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: phone.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: bob.cookieHeader).status == .ok)
        }
    }

    @Test func disabledAccountsLoseTheirSessions() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            _ = try await app.services.accounts.change(accountID: account.id, AccountChange(disabled: true))
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
            #expect(try await client.logIn("ada@example.com").status == .unauthorized)
        }
    }
}
