import Foundation
import HTTPTypes
import HummingbirdTesting
import PortcullisCore
import PortcullisTesting
import Testing

/// Two-step verification in the pages: set up from the account page, the code step after the
/// password, recovery codes, and turning it off.
@Suite("Two-step verification pages")
struct TwoStepPageTests {
    @Test func settingUpShowsTheKeyAsAQRCodeAndTextThenTheRecoveryCodesOnce() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let account = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(account.contains("id=\"two-step-state\">Off"))
            let setup = try await client.form("/account/two-step", ["csrf_token": ada.csrf], headers: ada.cookieHeader)
            #expect(setup.status == .ok)
            #expect(setup.headers[.cacheControl] == "no-store")
            let secret = try #require(setup.text.firstMatch(of: /id="totp-secret">([A-Z2-7]+)</).map { String($0.1) })
            #expect(setup.text.contains("<svg") && setup.text.contains("role=\"img\""))
            #expect(!setup.text.contains("<script"))
            let authenticator = try #require(AuthenticatorApp(secret: secret))

            let wrong = try await client.form("/account/two-step/confirm", ["csrf_token": ada.csrf, "code": "000000"], headers: ada.cookieHeader)
            #expect(wrong.status == .unauthorized || authenticator.code(at: app.clock.now) == "000000")
            #expect(wrong.text.contains(secret), "the same key is shown again")
            let confirmed = try await client.form(
                "/account/two-step/confirm",
                ["csrf_token": ada.csrf, "code": authenticator.code(at: app.clock.now)],
                headers: ada.cookieHeader
            )
            #expect(confirmed.status == .ok)
            let codes = confirmed.text.matches(of: /<code>([a-z2-7]{5}-[a-z2-7]{5})<\/code>/).map { String($0.1) }
            #expect(codes.count == 10)
            let after = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(after.contains("id=\"two-step-state\">On") && after.contains("10 recovery codes left"))
            #expect(!after.contains(codes[0]), "codes are shown once")

            // Signing in now asks for the code, then the next step's code completes it.
            let password = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword, "next": "/account"])
            #expect(password.status == .ok && password.headers[.setCookie] == nil)
            let challenge = try #require(password.text.firstMatch(of: /name="mfa_token" value="([^"]+)"/).map { String($0.1) })
            #expect(password.text.contains("autocomplete=\"one-time-code\""))
            let refused = try await client.form("/login/code", ["mfa_token": challenge, "code": authenticator.code(at: app.clock.now)])
            #expect(refused.status == .unauthorized, "the code that confirmed the set-up is spent")
            app.clock.advance(by: .seconds(30))
            let done = try await client.form(
                "/login/code",
                ["mfa_token": challenge, "code": authenticator.code(at: app.clock.now), "next": "/account"]
            )
            #expect(done.status == .seeOther && done.headers[.location] == "/account")
            let phone = try #require(done.sessionCookieValue)
            #expect(try await client.get("/v1/me", headers: PageTests.cookie(phone)).text.contains("\"mfa\""))

            // A recovery code works once; then the old challenge is spent.
            let second = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword])
            let next = try #require(second.text.firstMatch(of: /name="mfa_token" value="([^"]+)"/).map { String($0.1) })
            #expect(try await client.form("/login/code", ["mfa_token": next, "code": codes[2]]).status == .seeOther)
            let spent = try await client.form("/login/code", ["mfa_token": next, "code": codes[3]])
            #expect(spent.status == .unauthorized && spent.text.contains("Sign in again"))

            // Turning it off needs the password, and signs the phone out.
            let wrongPassword = try await client.form(
                "/account/two-step/off",
                ["csrf_token": ada.csrf, "password": "not my password at all"],
                headers: ada.cookieHeader
            )
            #expect(wrongPassword.headers[.location] == "/account?notice=two-step-password-wrong")
            let off = try await client.form("/account/two-step/off", ["csrf_token": ada.csrf, "password": strongPassword], headers: ada.cookieHeader)
            #expect(off.headers[.location] == "/account?notice=two-step-off")
            #expect(try await client.get("/v1/me", headers: PageTests.cookie(phone)).status == .unauthorized)
            #expect(try await client.form("/login", ["email": "ada@example.com", "password": strongPassword]).status == .seeOther)
        }
    }
}
