import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// Administration by accounts with the admin role.
@Suite("Admin endpoints")
struct AdminEndpointTests {
    func patch(_ client: some TestClientProtocol, _ path: String, json: String, headers: HTTPFields) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.executeRequest(uri: path, method: .patch, headers: headers, body: ByteBuffer(string: json))
    }

    func post(_ client: some TestClientProtocol, _ path: String, json: String = "", headers: HTTPFields) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.executeRequest(uri: path, method: .post, headers: headers, body: ByteBuffer(string: json))
    }

    @Test func onlyAdminsMayAdminister() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let bob = try #require(try await client.register("bob@example.com").json["id"] as? String)
            #expect(try await post(client, "/v1/admin/users/\(bob)/logout", headers: ada.headers()).status == .forbidden)
            #expect(try await post(client, "/v1/admin/users/\(bob)/logout", headers: [:]).status == .unauthorized)
            #expect(try await post(client, "/v1/admin/keys/rotate", headers: ada.headers()).status == .forbidden)
            try await app.promote("ada@example.com")
            #expect(try await post(client, "/v1/admin/users/\(bob)/logout", headers: ada.headers(csrf: false)).status == .forbidden)  // CSRF
            #expect(try await post(client, "/v1/admin/users/\(bob)/logout", headers: ada.headers()).status == .noContent)
            #expect(try await post(client, "/v1/admin/users/nobody/logout", headers: ada.headers()).status == .notFound)
        }
    }

    @Test func adminLogoutEndsSessionsAndTokens() async throws {
        let app = TestApp()
        try await app.test { client in
            let admin = try await client.signUpAndLogIn("admin@example.com")
            try await app.promote("admin@example.com")
            let bob = try await client.signUpAndLogIn("bob@example.com")
            let grant = try await client.passwordGrant("bob@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let bobID = try #require(try await app.store.account(email: "bob@example.com")).id
            #expect(try await post(client, "/v1/admin/users/\(bobID)/logout", headers: admin.headers()).status == .noContent)
            #expect(try await client.get("/v1/me", headers: bob.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)
            #expect(try await client.refreshGrant(try #require(grant.json["refresh_token"] as? String)).json["error"] as? String == "invalid_grant")
        }
    }

    @Test func disablingByBearerRefusesTheUsersEarlierTokens() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("admin@example.com")
            try await app.promote("admin@example.com")
            let adminToken = try #require(try await client.passwordGrant("admin@example.com").json["access_token"] as? String)
            try await client.register("bob@example.com")
            let bobToken = try #require(try await client.passwordGrant("bob@example.com").json["access_token"] as? String)
            let bobID = try #require(try await app.store.account(email: "bob@example.com")).id

            let disabled = try await patch(client, "/v1/admin/users/\(bobID)", json: #"{"disabled": true}"#, headers: bearer(adminToken))
            #expect(disabled.status == .ok)
            #expect(disabled.json["disabled"] as? Bool == true)
            #expect(try await client.get("/v1/me", headers: bearer(bobToken)).status == .unauthorized)
            #expect(try await client.passwordGrant("bob@example.com").json["error"] as? String == "invalid_grant")

            app.clock.advance(by: .seconds(1))
            #expect(try await patch(client, "/v1/admin/users/\(bobID)", json: #"{"disabled": false}"#, headers: bearer(adminToken)).status == .ok)
            #expect(try await client.passwordGrant("bob@example.com").status == .ok)
        }
    }

    @Test func changingRolesEndsTheAccountsSessions() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("admin@example.com")
            try await app.promote("admin@example.com")
            let adminToken = try #require(try await client.passwordGrant("admin@example.com").json["access_token"] as? String)
            let bob = try await client.signUpAndLogIn("bob@example.com")
            let bobID = try #require(try await app.store.account(email: "bob@example.com")).id
            let changed = try await patch(client, "/v1/admin/users/\(bobID)", json: #"{"roles": ["support"]}"#, headers: bearer(adminToken))
            #expect(changed.json["roles"] as? [String] == ["support"])
            #expect(try await client.get("/v1/me", headers: bob.cookieHeader).status == .unauthorized)
            let again = try await client.logIn("bob@example.com").browser()
            #expect(try await client.get("/v1/me", headers: again.cookieHeader).json["roles"] as? [String] == ["support"])
            #expect(
                try await patch(client, "/v1/admin/users/\(bobID)", json: #"{"roles": ["Bad Role"]}"#, headers: bearer(adminToken)).status
                    == .badRequest
            )
        }
    }

    @Test func keyRotationByTheAdminEndpoint() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("admin@example.com")
            try await app.promote("admin@example.com")
            let adminToken = try #require(try await client.passwordGrant("admin@example.com").json["access_token"] as? String)
            let rotated = try await post(client, "/v1/admin/keys/rotate", json: #"{"alg": "RS256"}"#, headers: bearer(adminToken))
            #expect(rotated.status == .ok)
            let kid = try #require(rotated.json["kid"] as? String)
            #expect(rotated.json["alg"] as? String == "RS256")
            #expect(rotated.json["signs_from"] as? Int == Int(app.clock.now.epochSeconds) + 60)
            let jwks = try #require(try await client.get("/.well-known/jwks.json").json["keys"] as? [[String: String]])
            #expect(jwks.contains { $0["kid"] == kid && $0["kty"] == "RSA" })
            #expect(try await post(client, "/v1/admin/keys/rotate", json: #"{"alg": "none"}"#, headers: bearer(adminToken)).status == .badRequest)
            let now = try await post(client, "/v1/admin/keys/rotate", json: #"{"now": true}"#, headers: bearer(adminToken))
            #expect(now.json["signs_from"] as? Int == Int(app.clock.now.epochSeconds))
            // The emergency rotation ended the admin's own token too.
            #expect(try await client.get("/v1/me", headers: bearer(adminToken)).status == .unauthorized)
        }
    }
}
