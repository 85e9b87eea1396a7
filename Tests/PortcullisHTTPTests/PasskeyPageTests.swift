import Foundation
import HTTPTypes
import HummingbirdTesting
import PortcullisCore
import PortcullisTesting
import Testing

/// Passkeys on the account page: the list with names and last use, renaming and removing with
/// plain forms, and the password the last second factor always asks for.
@Suite("Passkey pages")
struct PasskeyPageTests {
    @Test func theAccountPageListsRenamesAndRemovesPasskeys() async throws {
        let app = PasskeyEndpointTests.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let empty = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(empty.contains("id=\"passkeys-empty\""))
            #expect(empty.contains("<form class=\"passkey-add\" id=\"passkey-add\" hidden>"), "adding needs the script, which reveals it")
            let laptop = try await PasskeyEndpointTests.addPasskey(client, ada, name: "<b>Laptop</b>")
            let phone = try await PasskeyEndpointTests.addPasskey(client, ada, algorithm: .ed25519, name: "Phone")
            let listed = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(listed.contains("&lt;b&gt;Laptop&lt;/b&gt;") && !listed.contains("<b>Laptop</b>"), "names are escaped")
            #expect(listed.contains("action=\"/account/passkeys/\(phone.id)/rename\""))
            #expect(listed.contains("Never"), "never used yet")

            // Rename: a plain form with the CSRF token; without it, refused.
            let forged = try await client.form("/account/passkeys/\(laptop.id)/rename", ["name": "Mine"], headers: ada.cookieHeader)
            #expect(forged.status == .forbidden)
            let renamed = try await client.form(
                "/account/passkeys/\(laptop.id)/rename",
                ["csrf_token": ada.csrf, "name": "Work laptop"],
                headers: ada.cookieHeader
            )
            #expect(renamed.status == .seeOther && renamed.headers[.location] == "/account?notice=passkey-renamed")
            #expect(try await client.get("/account", headers: ada.cookieHeader).text.contains("Work laptop"))

            // Remove one of two with a recent sign-in; the last one asks for the password even so.
            let removed = try await client.form("/account/passkeys/\(phone.id)/remove", ["csrf_token": ada.csrf], headers: ada.cookieHeader)
            #expect(removed.headers[.location] == "/account?notice=passkey-removed")
            let last = try await client.get("/account", headers: ada.cookieHeader).text
            #expect(last.contains("id=\"remove-\(laptop.id)\" name=\"password\""), "the last factor's form asks for the password")
            let without = try await client.form("/account/passkeys/\(laptop.id)/remove", ["csrf_token": ada.csrf], headers: ada.cookieHeader)
            #expect(without.headers[.location] == "/account?notice=passkey-password-needed")
            let with = try await client.form(
                "/account/passkeys/\(laptop.id)/remove",
                ["csrf_token": ada.csrf, "password": strongPassword],
                headers: ada.cookieHeader
            )
            #expect(with.headers[.location] == "/account?notice=passkey-removed")
            #expect(try await client.get("/account", headers: ada.cookieHeader).text.contains("id=\"passkeys-empty\""))
        }
    }

    @Test func aWrongCodeKeepsThePasskeyOnTheSecondStep() async throws {
        let app = PasskeyEndpointTests.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            _ = try await PasskeyEndpointTests.addPasskey(client, ada)
            _ = try await SecondFactorEndpointTests.enrol(client, ada, app: app)
            let step = try await client.form("/login", ["email": "ada@example.com", "password": strongPassword])
            #expect(step.text.contains("data-passkey=\"second-step\"") && step.text.contains("name=\"code\""))
            let token = try #require(step.text.firstMatch(of: /name="mfa_token" value="([^"]+)"/).map { String($0.1) })
            let wrong = try await client.form("/login/code", ["mfa_token": token, "code": "000000"])
            #expect(wrong.status == .unauthorized)
            #expect(wrong.text.contains("data-passkey=\"second-step\""), "the passkey is still offered")
            #expect(wrong.headers[.contentSecurityPolicy]?.contains("script-src 'self'") == true)
        }
    }
}
