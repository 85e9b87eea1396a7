import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

/// The token endpoint over HTTP (docs/security.md#refresh-tokens).
@Suite("Tokens over HTTP")
struct TokenEndpointTests {
    @Test func passwordGrantIssuesBothTokens() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let response = try await client.passwordGrant("ada@example.com")
            #expect(response.status == .ok)
            #expect(response.headers[.cacheControl] == "no-store")
            #expect(response.json["token_type"] as? String == "Bearer")
            #expect(response.json["expires_in"] as? Int == 300)
            let access = try #require(response.json["access_token"] as? String)
            let refresh = try #require(response.json["refresh_token"] as? String)
            #expect(access.split(separator: ".").count == 3)
            #expect(refresh.count == 43 && !refresh.contains("."))
            let me = try await client.get("/v1/me", headers: bearer(access))
            #expect(me.status == .ok)
            #expect((me.json["auth"] as? [String: Any])?["method"] as? String == "bearer")
        }
    }

    @Test func oauthErrorsFollowRFC6749() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let wrong = try await client.passwordGrant("ada@example.com", "not the right password")
            #expect(wrong.status == .badRequest)
            #expect(wrong.json["error"] as? String == "invalid_grant")
            let unknown = try await client.passwordGrant("nobody@example.com", "not the right password")
            #expect(unknown.json["error"] as? String == "invalid_grant")
            #expect(unknown.json["error_description"] as? String == wrong.json["error_description"] as? String)
            #expect(try await client.token(["username": "x"]).json["error"] as? String == "invalid_request")
            #expect(try await client.token(["grant_type": "client_credentials"]).json["error"] as? String == "unsupported_grant_type")
            #expect(try await client.token(["grant_type": "refresh_token"]).json["error"] as? String == "invalid_request")
            #expect(try await client.passwordGrant("ada@example.com", audience: "elsewhere").json["error"] as? String == "invalid_target")
        }
    }

    @Test func refreshRotatesOnEveryUse() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let first = try #require(try await client.passwordGrant("ada@example.com").json["refresh_token"] as? String)
            let second = try await client.refreshGrant(first)
            #expect(second.status == .ok)
            let next = try #require(second.json["refresh_token"] as? String)
            #expect(next != first)
            let third = try await client.refreshGrant(next)
            #expect(third.status == .ok)
            #expect(try await client.get("/v1/me", headers: bearer(try #require(third.json["access_token"] as? String))).status == .ok)
        }
    }

    @Test func concurrentRefreshesWithinTheGraceWindowAllGetTheSameSuccessor() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let refresh = try #require(try await client.passwordGrant("ada@example.com").json["refresh_token"] as? String)
            let successors = try await withThrowingTaskGroup(of: String?.self) { group in
                for _ in 0..<24 {
                    group.addTask { try await client.refreshGrant(refresh).json["refresh_token"] as? String }
                }
                return try await group.reduce(into: [String?]()) { $0.append($1) }
            }
            #expect(successors.count == 24)
            #expect(successors.allSatisfy { $0 != nil })
            #expect(Set(successors.compactMap { $0 }).count == 1)
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            #expect(try await app.store.refreshFamilies(accountID: account.id).count == 1)
        }
    }

    @Test func reuseAfterTheGraceWindowRevokesTheWholeFamily() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let login = try await client.passwordGrant("ada@example.com")
            let stolen = try #require(login.json["refresh_token"] as? String)
            let rotated = try await client.refreshGrant(stolen)
            let current = try #require(rotated.json["refresh_token"] as? String)
            let currentAccess = try #require(rotated.json["access_token"] as? String)
            app.clock.advance(by: .seconds(11))

            let reuse = try await client.refreshGrant(stolen)
            #expect(reuse.status == .badRequest)
            #expect(reuse.json["error"] as? String == "invalid_grant")
            // The legitimate holder's newer token is dead too, and so are the family's access tokens.
            #expect(try await client.refreshGrant(current).json["error"] as? String == "invalid_grant")
            #expect(try await client.get("/v1/me", headers: bearer(currentAccess)).status == .unauthorized)
            let entries = try await app.store.revocations(after: 0, now: app.clock.now, limit: 10)
            #expect(entries.contains { $0.kind == .session })
        }
    }

    @Test func refreshFamiliesExpireWhenIdleAndAtTheirAbsoluteLimit() async throws {
        let app = TestApp {
            $0.refreshIdle = .seconds(3600)
            $0.refreshAbsolute = .seconds(3 * 3600)
        }
        try await app.test { client in
            try await client.register("ada@example.com")
            let idle = try #require(try await client.passwordGrant("ada@example.com").json["refresh_token"] as? String)
            var active = try #require(try await client.passwordGrant("ada@example.com").json["refresh_token"] as? String)
            var refreshed = 0
            for _ in 0..<6 {
                app.clock.advance(by: .seconds(2000))
                let next = try await client.refreshGrant(active)
                guard let token = next.json["refresh_token"] as? String else {
                    // The absolute limit (3 h) ends even an active family.
                    #expect(next.json["error"] as? String == "invalid_grant")
                    break
                }
                active = token
                refreshed += 1
            }
            #expect(refreshed == 5)  // 5 × 2000 s used every 2000 s, inside the 1 h idle limit
            #expect(try await client.refreshGrant(idle).json["error"] as? String == "invalid_grant")
            #expect(try await client.refreshGrant(active).json["error"] as? String == "invalid_grant")
        }
    }

    @Test func revocationEndpointEndsRefreshFamiliesAndAccessTokens() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let refresh = try #require(grant.json["refresh_token"] as? String)

            #expect(try await client.revoke(refresh).status == .ok)
            #expect(try await client.refreshGrant(refresh).json["error"] as? String == "invalid_grant")
            // The family's access tokens are refused too: revocation is keyed by sid.
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)

            let second = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.revoke(second).status == .ok)
            #expect(try await client.get("/v1/me", headers: bearer(second)).status == .unauthorized)
            #expect(try await client.revoke("never-issued").status == .ok)
        }
    }

    @Test func aRevokedTokenStaysRevokedWhateverItsEncoding() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let access = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.revoke(access).status == .ok)
            let parts = access.split(separator: ".").map(String.init)
            let signature = try #require(Base64.decode(parts[2]))
            // The same signature bytes in the standard alphabet, with padding, and with trailing bits flipped.
            let variants = [
                parts[0] + "." + parts[1] + "." + Base64.encode(signature, alphabet: .standard) + "==",
                parts[0] + "." + parts[1] + "." + String(parts[2].dropLast()) + (parts[2].hasSuffix("A") ? "B" : "A"),
                access + " ",
            ]
            for variant in variants {
                let response = try await client.get("/v1/me", headers: bearer(variant))
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer error=\"invalid_token\"")
            }
        }
    }

    @Test func refreshTokensAreNotAccessTokensAndViceVersa() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let refresh = try #require(grant.json["refresh_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(refresh)).status == .unauthorized)
            #expect(try await client.refreshGrant(access).json["error"] as? String == "invalid_grant")
        }
    }

    @Test func tokensForAnotherAudienceAreRefusedByPortcullisItself() async throws {
        let app = TestApp { $0.audiences = ["api", "orders"] }
        try await app.test { client in
            try await client.register("ada@example.com")
            let orders = try #require(try await client.passwordGrant("ada@example.com", audience: "orders").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(orders)).status == .unauthorized)
            let api = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(api)).status == .ok)
        }
    }

    @Test func bearerRequestsNeedNoCSRFToken() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let access = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            let sessions = try await client.get("/v1/sessions", headers: bearer(access))
            #expect((sessions.json["sessions"] as? [[String: Any]])?.count == 1)
            #expect(try await client.delete("/v1/sessions/\(browser.sessionID)", headers: bearer(access)).status == .noContent)
            #expect(try await client.get("/v1/me", headers: browser.cookieHeader).status == .unauthorized)
        }
    }

    @Test func signOutEverywhereAndDisablingEndTokensToo() async throws {
        let app = TestApp()
        try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let refresh = try #require(grant.json["refresh_token"] as? String)
            #expect(try await client.delete("/v1/sessions", headers: browser.headers()).status == .noContent)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)
            #expect(try await client.refreshGrant(refresh).json["error"] as? String == "invalid_grant")

            app.clock.advance(by: .seconds(1))
            let again = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(again)).status == .ok)
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            _ = try await app.services.accounts.change(accountID: account.id, AccountChange(disabled: true))
            #expect(try await client.get("/v1/me", headers: bearer(again)).status == .unauthorized)
        }
    }

    @Test func aSessionCanMintAShortLivedTokenThatDiesWithIt() async throws {
        try await TestApp().test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let exchange = ["grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token_type": "urn:portcullis:session"]
            #expect(try await client.token(exchange).json["error"] as? String == "invalid_grant")
            #expect(try await client.token(exchange, headers: browser.cookieHeader).status == .forbidden)
            let minted = try await client.token(exchange, headers: browser.headers())
            #expect(minted.status == .ok)
            #expect(minted.json["refresh_token"] == nil)
            let access = try #require(minted.json["access_token"] as? String)
            let me = try await client.get("/v1/me", headers: bearer(access))
            #expect((me.json["auth"] as? [String: Any])?["session_id"] as? String == browser.sessionID)
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .noContent)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)
        }
    }

    @Test func jwksPublishesPublicKeysWithAlgAndUse() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            _ = try await client.passwordGrant("ada@example.com")
            let jwks = try await client.get("/.well-known/jwks.json")
            #expect(jwks.headers[.cacheControl]?.contains("max-age=") == true)
            let keys = try #require(jwks.json["keys"] as? [[String: String]])
            #expect(keys.count == 1)
            for key in keys {
                #expect(key["alg"] == "EdDSA" && key["use"] == "sig" && key["kty"] == "OKP" && key["kid"] != nil)
                #expect(key["d"] == nil)
            }
            let metadata = try await client.get("/.well-known/oauth-authorization-server")
            #expect(metadata.json["issuer"] as? String == "http://127.0.0.1:0")
            #expect((metadata.json["token_endpoint"] as? String)?.hasSuffix("/v1/token") == true)
            #expect((metadata.json["jwks_uri"] as? String)?.hasSuffix("/.well-known/jwks.json") == true)
            #expect((metadata.json["grant_types_supported"] as? [String])?.contains("refresh_token") == true)
            // RFC 8414: only what each endpoint really accepts, and no member borrowed for another meaning.
            #expect(metadata.json["response_types_supported"] as? [String] == [])
            #expect(metadata.json["token_endpoint_auth_methods_supported"] as? [String] == ["none"])
            #expect(metadata.json["introspection_endpoint_auth_methods_supported"] as? [String] == ["client_secret_basic"])
            #expect(metadata.json["token_endpoint_auth_signing_alg_values_supported"] == nil)
        }
    }

    @Test func keyRotationPublishesAheadAndKeepsOldTokensValid() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let old = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            let oldKid = try Self.kid(of: old)
            let rotated = try await app.services.tokens.keyRing.rotate()
            let published = try #require(try await client.get("/.well-known/jwks.json").json["keys"] as? [[String: String]])
            #expect(Set(published.compactMap { $0["kid"] }) == [oldKid, rotated.kid])
            // Published before it signs.
            #expect(try Self.kid(of: try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)) == oldKid)
            app.clock.advance(by: .seconds(60))
            let new = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try Self.kid(of: new) == rotated.kid)
            #expect(try await client.get("/v1/me", headers: bearer(old)).status == .ok)
            #expect(try await client.get("/v1/me", headers: bearer(new)).status == .ok)
            // After the old key's last token expired it leaves the JWKS.
            app.clock.advance(by: .seconds(400))
            let later = try #require(try await client.get("/.well-known/jwks.json").json["keys"] as? [[String: String]])
            #expect(later.compactMap { $0["kid"] } == [rotated.kid])
        }
    }

    @Test func emergencyRotationEndsTheOldKeysTokens() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let old = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            let rotated = try await app.services.tokens.keyRing.rotate(algorithm: .es256, immediately: true)
            #expect(try await client.get("/v1/me", headers: bearer(old)).status == .unauthorized)
            let new = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try Self.kid(of: new) == rotated.kid)
            #expect(try await client.get("/v1/me", headers: bearer(new)).status == .ok)
            let published = try #require(try await client.get("/.well-known/jwks.json").json["keys"] as? [[String: String]])
            #expect(published.map { $0["alg"] } == ["ES256"])
        }
    }

    @Test func singleServiceModeSignsWithHS256AndPublishesNothing() async throws {
        let app = TestApp { $0.signingAlgorithm = .hs256 }
        try await app.test { client in
            try await client.register("ada@example.com")
            let access = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .ok)
            #expect((try await client.get("/.well-known/jwks.json").json["keys"] as? [Any])?.isEmpty == true)
            await #expect(throws: PortcullisError.self) { _ = try await app.services.tokens.keyRing.rotate(algorithm: .eddsa) }
        }
        await #expect(throws: PortcullisError.self) { _ = try await TestApp().services.tokens.keyRing.rotate(algorithm: .hs256) }
    }

    static func kid(of token: String) throws -> String {
        let header = try #require(Base64.decode(token.split(separator: ".")[0]))
        return try #require((try JSONSerialization.jsonObject(with: Data(header)) as? [String: Any])?["kid"] as? String)
    }
}
