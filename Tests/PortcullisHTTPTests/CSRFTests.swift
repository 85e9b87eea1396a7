import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// docs/security.md#csrf: cookie-authenticated unsafe requests need the session's
/// CSRF token, and browsers' cross-site requests are refused whatever they carry.
@Suite("CSRF")
struct CSRFTests {
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!

    @Test func missingTokenIsRefused() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: browser.headers(csrf: false)).status == .forbidden)
            #expect(try await client.delete("/v1/sessions", headers: browser.headers(csrf: false)).status == .forbidden)
            #expect(try await client.delete("/v1/sessions/\(browser.sessionID)", headers: browser.headers(csrf: false)).status == .forbidden)
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
        }
    }

    @Test func wrongTokenIsRefused() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            var headers = browser.cookieHeader
            headers[HTTPField.Name("X-CSRF-Token")!] = String(browser.csrf.dropLast()) + (browser.csrf.hasSuffix("A") ? "B" : "A")
            #expect(try await client.delete("/v1/session", headers: headers).status == .forbidden)
            headers[HTTPField.Name("X-CSRF-Token")!] = ""
            #expect(try await client.delete("/v1/session", headers: headers).status == .forbidden)
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
        }
    }

    @Test func anotherSessionsTokenIsRefused() async throws {
        try await TestApp().test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let adasOtherDevice = try await client.logIn("ada@example.com").browser()
            var headers = ada.cookieHeader
            headers[HTTPField.Name("X-CSRF-Token")!] = adasOtherDevice.csrf
            #expect(try await client.delete("/v1/sessions", headers: headers).status == .forbidden)
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).status == .ok)
        }
    }

    @Test(arguments: ["cross-site", "same-site", "Cross-Site"])
    func browserCrossSiteRequestsAreRefusedEvenWithTheToken(site: String) async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let response = try await client.delete("/v1/sessions", headers: browser.headers([Self.secFetchSite: site]))
            #expect(response.status == .forbidden)
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
            // Login CSRF: a cross-site page cannot sign the browser in either.
            let login = try await client.logIn("ada@example.com", headers: [Self.secFetchSite: site])
            #expect(login.status == .forbidden)
            #expect(login.headers[.setCookie] == nil)
        }
    }

    @Test(arguments: [
        "https://evil.example",
        "http://127.0.0.1:8080.evil.example",  // look-alike: the real origin as a subdomain
        "http://127.0.0.1:80801",  // look-alike: a longer port
        "http://127.0.0.1",  // same host, other port
        "https://127.0.0.1:8080",  // other scheme
        "null",
        "http://user@127.0.0.1:8080",
    ])
    func foreignOriginsAreRefusedWithoutFetchMetadata(origin: String) async throws {
        let app = TestApp { $0.publicURL = "http://127.0.0.1:8080" }
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let response = try await client.delete("/v1/sessions", headers: browser.headers([.origin: origin]))
            #expect(response.status == .forbidden)
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .ok)
        }
    }

    @Test func theServersOwnOriginAndSameOriginFetchMetadataPass() async throws {
        let app = TestApp { $0.publicURL = "http://127.0.0.1:8080/" }
        try await app.test { client in
            let first = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: first.headers([.origin: "HTTP://127.0.0.1:8080"])).status == .noContent)
            let second = try await client.logIn("ada@example.com", headers: [Self.secFetchSite: "same-origin"]).browser()
            #expect(try await client.delete("/v1/session", headers: second.headers([Self.secFetchSite: "same-origin"])).status == .noContent)
        }
    }

    @Test func theTokenMayComeAsAFormField() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            var headers = browser.cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            let wrong = try await client.executeRequest(
                uri: "/v1/session",
                method: .delete,
                headers: headers,
                body: ByteBuffer(string: "csrf_token=nope")
            )
            #expect(wrong.status == .forbidden)
            let right = try await client.executeRequest(
                uri: "/v1/session",
                method: .delete,
                headers: headers,
                body: ByteBuffer(string: "csrf_token=\(browser.csrf)")
            )
            #expect(right.status == .noContent)
        }
    }

    @Test func safeMethodsNeverChangeState() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            for path in ["/v1/session", "/v1/sessions", "/v1/sessions/\(browser.sessionID)", "/v1/me"] {
                _ = try await client.get(path, headers: browser.cookieHeader)
            }
            #expect(try await app.store.session(id: browser.sessionID) != nil)
        }
    }
}
