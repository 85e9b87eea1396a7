import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// Introspection (RFC 7662) and the revocation feed, for service clients.
@Suite("Service clients")
struct ServiceClientTests {
    func introspect(_ client: some TestClientProtocol, _ token: String, headers: HTTPFields) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        return try await client.executeRequest(
            uri: "/v1/token/introspect",
            method: .post,
            headers: headers,
            body: ByteBuffer(string: "token=\(token)")
        )
    }

    @Test func introspectionNeedsAValidClient() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let access = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            let anonymous = try await introspect(client, access, headers: [:])
            #expect(anonymous.status == .unauthorized)
            #expect(anonymous.json["error"] as? String == "invalid_client")
            var wrong = try await app.serviceClient()
            wrong[.authorization] = String(wrong[.authorization]!.dropLast(4)) + "AAA="
            #expect(try await introspect(client, access, headers: wrong).status == .unauthorized)
        }
    }

    @Test func introspectionReportsActiveAndRevokedTokens() async throws {
        let app = TestApp()
        try await app.test { client in
            let credentials = try await app.serviceClient()
            try await client.register("ada@example.com")
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let refresh = try #require(grant.json["refresh_token"] as? String)

            let active = try await introspect(client, access, headers: credentials)
            #expect(active.status == .ok)
            #expect(active.json["active"] as? Bool == true)
            #expect(active.json["token_type"] as? String == "access_token")
            for field in ["sub", "exp", "iat", "sid", "jti", "client_id"] { #expect(active.json[field] != nil, "\(field)") }
            // How the sign-in was proven travels to services that introspect, as it does in the token.
            #expect(active.json["amr"] as? [String] == ["pwd"])
            #expect(active.json["auth_time"] as? Int == Int(app.clock.now.epochSeconds))
            let family = try await introspect(client, refresh, headers: credentials).json
            #expect(family["token_type"] as? String == "refresh_token")
            #expect(family["amr"] as? [String] == ["pwd"] && family["auth_time"] as? Int == Int(app.clock.now.epochSeconds))

            _ = try await client.revoke(access)
            let revoked = try await introspect(client, access, headers: credentials)
            #expect(revoked.json["active"] as? Bool == false)
            #expect(revoked.json.count == 1)
            #expect(try await introspect(client, "garbage", headers: credentials).json["active"] as? Bool == false)
        }
    }

    @Test func theRevocationFeedPagesByCursor() async throws {
        let app = TestApp()
        try await app.test { client in
            let credentials = try await app.serviceClient()
            #expect(try await client.get("/v1/revocations").status == .unauthorized)
            let browser = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .noContent)
            // The instance's broadcaster answers from what it last read of the log, and reads the
            // log again when told of a revocation, moments after it: the entry may miss the first
            // page, never the ones after.
            var page = try await client.get("/v1/revocations?after=0", headers: credentials)
            for _ in 0..<200 where (page.json["entries"] as? [Any])?.isEmpty != false {
                try await Task.sleep(for: .milliseconds(10))
                page = try await client.get("/v1/revocations?after=0", headers: credentials)
            }
            #expect(page.status == .ok)
            let entries = try #require(page.json["entries"] as? [[String: Any]])
            #expect(entries.count == 1)
            #expect(entries.first?["kind"] as? String == "session")
            #expect(entries.first?["id"] as? String == browser.sessionID)
            #expect(entries.first?["expires_at"] as? Int ?? 0 > entries.first?["revoked_at"] as? Int ?? 0)
            let cursor = try #require(page.json["cursor"] as? Int)
            let next = try await client.get("/v1/revocations?after=\(cursor)", headers: credentials)
            #expect((next.json["entries"] as? [Any])?.isEmpty == true)
            #expect(next.json["cursor"] as? Int == cursor)
        }
    }

    @Test func theRevocationStreamDeliversNewEntriesAndResumes() async throws {
        let app = TestApp()
        let credentials = try await app.serviceClient()
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let browser = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .noContent)
            let stream = try await EventStreamReader.open(port: port, path: "/v1/revocations/stream", headers: credentials)
            let first = try await stream.nextEvent()
            #expect(first.data.contains(browser.sessionID))
            // A revocation made after connecting arrives within a second.
            let second = try await client.signUpAndLogIn("bob@example.com")
            let start = ContinuousClock.now
            #expect(try await client.delete("/v1/session", headers: second.headers()).status == .noContent)
            let live = try await stream.nextEvent()
            #expect(live.data.contains(second.sessionID))
            #expect(ContinuousClock.now - start < .seconds(1))
            // Resuming with Last-Event-ID skips what was seen.
            var resume = credentials
            resume[HTTPField.Name("Last-Event-ID")!] = first.id
            let resumed = try await EventStreamReader.open(port: port, path: "/v1/revocations/stream", headers: resume)
            #expect(try await resumed.nextEvent().id == live.id)
        }
    }
}
