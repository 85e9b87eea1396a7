import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// The recovery pages at the HTTP level; the browser test follows the same links in Chromium.
@Suite("Recovery pages")
struct RecoveryPageTests {
    static let newPassword = "a brand new passphrase for ada"

    @Test func forgotPasswordAnswersTheSamePageForEveryAddressAndTheLinkPageChangesNothing() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            try await client.register("ada@example.com")
            #expect(try await client.get("/login").text.contains("<a href=\"/forgot-password\">Forgot your password?</a>"))
            let form = try await client.get("/forgot-password")
            #expect(form.status == .ok && form.text.contains("action=\"/forgot-password\""))
            let known = try await client.form("/forgot-password", ["email": "ada@example.com"])
            let unknown = try await client.form("/forgot-password", ["email": "nobody@example.com"])
            #expect(known.status == .ok && known.text == unknown.text)
            try await app.deliverMail(until: 2)
            let token = try #require(app.mail?.token("/reset-password", to: "ada@example.com"))

            // Opening the link, as a mail scanner would, twice: a form, and nothing used.
            for _ in 0..<2 {
                let page = try await client.get("/reset-password?token=\(token)")
                #expect(page.status == .ok)
                #expect(page.text.contains("<input type=\"hidden\" name=\"token\" value=\"\(token)\">"))
                #expect(page.headers[HTTPField.Name("Referrer-Policy")!] == "no-referrer" && page.headers[.cacheControl] == "no-store")
            }
            let reset = try await client.form("/reset-password", ["token": token, "password": Self.newPassword])
            #expect(reset.status == .seeOther)
            #expect(reset.headers[.location] == "/login?notice=password-reset")
            #expect(try await client.logIn("ada@example.com", Self.newPassword).status == .created)
            let reused = try await client.form("/reset-password", ["token": token, "password": "yet another passphrase here"])
            #expect(reused.status == .badRequest && reused.text.contains("This link cannot be used"))
        }
    }

    @Test func theVerificationLinkOpensAConfirmButton() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            try await app.deliverMail(until: 1)
            let token = try #require(app.mail?.token("/verify-email", to: "ada@example.com"))
            let page = try await client.get("/verify-email?token=\(token)")
            #expect(page.status == .ok && page.text.contains("<button class=\"button button-primary\" type=\"submit\">Confirm</button>"))
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).json["email_verified"] as? Bool == false)
            let account = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(account.contains("Not confirmed") && account.contains("action=\"/account/email-verification\""))
            let confirmed = try await client.form("/verify-email", ["token": token], headers: ada.cookieHeader)
            #expect(confirmed.status == .seeOther && confirmed.headers[.location] == "/account?notice=email-verified")
            let after = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(after.contains(">Confirmed<") && !after.contains("action=\"/account/email-verification\""))
        }
    }

    @Test func theAccountPageChangesThePasswordWithItsCSRFToken() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let here = try await client.signUpAndLogIn("ada@example.com")
            let elsewhere = try await client.logIn("ada@example.com").browser()
            let page = try await client.get("/account", headers: here.cookieHeader).text
            #expect(page.contains("action=\"/account/password\"") && page.contains("autocomplete=\"current-password\""))
            let fields = ["current_password": strongPassword, "new_password": Self.newPassword]
            #expect(try await client.form("/account/password", fields, headers: here.cookieHeader).status == .forbidden)
            let wrong = try await client.form(
                "/account/password",
                ["current_password": "not it", "new_password": Self.newPassword, "csrf_token": here.csrf],
                headers: here.cookieHeader
            )
            #expect(wrong.status == .forbidden)
            var withToken = fields
            withToken["csrf_token"] = here.csrf
            let changed = try await client.form("/account/password", withToken, headers: here.cookieHeader)
            #expect(changed.status == .seeOther && changed.headers[.location] == "/account?notice=password-changed")
            #expect(try await client.get("/v1/me", headers: here.cookieHeader).status == .ok)
            #expect(try await client.get("/v1/me", headers: elsewhere.cookieHeader).status == .unauthorized)
        }
    }

    @Test func signingInUnverifiedOffersANewLink() async throws {
        let app = TestApp(mail: RecordingMailTransport()) { $0.requireVerifiedEmail = true }
        try await app.test { client in
            try await client.register("ada@example.com")
            let refused = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword])
            #expect(refused.status == .forbidden && refused.headers[.setCookie] == nil)
            #expect(refused.text.contains("action=\"/verify-email/resend\""))
            let resent = try await client.form("/verify-email/resend", ["email": "ada@example.com"])
            #expect(resent.status == .ok && resent.text.contains("Check your inbox"))
            try await app.deliverMail(until: 2)
            #expect(app.mail?.sent.filter { $0.subject.contains("Confirm") }.count == 2)
        }
    }

    @Test func registeringWhileVerificationIsRequiredSignsNobodyIn() async throws {
        let app = TestApp(mail: RecordingMailTransport()) { $0.requireVerifiedEmail = true }
        try await app.test { client in
            let registered = try await client.form("/register", ["email": "ada@example.com", "password": strongPassword])
            #expect(registered.status == .created && registered.headers[.setCookie] == nil)
            #expect(registered.text.contains("Confirm your email address") && registered.text.contains("action=\"/verify-email/resend\""))
            try await app.deliverMail(until: 1)
            #expect(app.mail?.token("/verify-email", to: "ada@example.com") != nil)
        }
    }

    @Test func aLinkPageShowsOnlyATokenOfTheRightShape() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            // A quote that shares a grapheme with the character around it is still a quote to HTML.
            let forged = "\u{600}\"\u{600}><meta http-equiv=refresh content=0;url=https://evil.example/ \u{600}>"
            let query = forged.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
            for path in ["/reset-password", "/verify-email"] {
                let page = try await client.get("\(path)?token=\(query)")
                #expect(page.status == .badRequest && page.text.contains("This link cannot be used"))
                #expect(!page.text.contains("<meta http-equiv=refresh") && !page.text.contains("evil.example"))
            }
        }
    }
}
