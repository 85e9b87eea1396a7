import Foundation
import HTTPTypes
import HummingbirdTesting
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

/// docs/security.md#access-token-verification end to end: every forged variant, signed with the server's own key where a
/// signature is needed, is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
/// never a 500.
@Suite("Forged tokens over HTTP")
struct ForgedTokenTests {
    @Test(arguments: TokenForgery.Variant.allCases)
    func isRefusedWith401(variant: TokenForgery.Variant) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            // A genuine token works, so the refusals below are about the forgery alone.
            let genuine = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(genuine)).status == .ok)
            let key = try await app.services.tokens.keyRing.signingKey()
            let forged = try TokenForgery.forge(
                variant,
                key: key,
                issuer: app.services.tokens.policy.issuer,
                subject: account.id,
                now: app.clock.now.epochSeconds
            )
            let response = try await client.get("/v1/me", headers: bearer(forged))
            if variant == .oversized {
                #expect(response.status.code == 431)  // the Authorization header is over 8 KiB: refused before parsing
            } else {
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer error=\"invalid_token\"")
            }
            #expect(!response.text.contains(forged))
        }
    }

    @Test func theForgeryItselfIsSoundWhenNothingIsWrong() async throws {
        // Guards the test above: the same forging code with no defect is accepted, so each refusal
        // there is caused by its variant alone.
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            _ = try await client.passwordGrant("ada@example.com")
            let key = try await app.services.tokens.keyRing.signingKey()
            let token = try TokenForgery.forge(
                nil,
                key: key,
                issuer: app.services.tokens.policy.issuer,
                subject: account.id,
                now: app.clock.now.epochSeconds
            )
            #expect(try await client.get("/v1/me", headers: bearer(token)).status == .ok)
        }
    }
}
