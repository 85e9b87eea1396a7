import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// Password reset, password change and email verification over the API.
@Suite("Recovery endpoints")
struct RecoveryEndpointTests {
    static let newPassword = "a brand new passphrase for ada"

    @Test func withMailOffEveryEndpointAnswers503AndThePagesOfferNothing() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let calls: [(String, [String: Any], HTTPFields)] = [
                ("/v1/password-reset", ["email": "ada@example.com"], [:]),
                ("/v1/password-reset/confirm", ["token": "x", "password": Self.newPassword], [:]),
                ("/v1/password", ["current_password": strongPassword, "new_password": Self.newPassword], ada.headers()),
                ("/v1/email-verification", [:], ada.headers()),
                ("/v1/email-verification/confirm", ["token": "x"], [:]),
            ]
            for (path, json, headers) in calls {
                let response = try await client.post(path, json: json, headers: headers)
                #expect(response.status == .serviceUnavailable, "\(path)")
                #expect(response.json["type"] as? String == "/problems/mail-disabled", "\(path)")
            }
            for page in ["/forgot-password", "/reset-password?token=x", "/verify-email?token=x"] {
                #expect(try await client.get(page).status == .notFound)
            }
            #expect(!(try await client.get("/login").text.contains("forgot-password")))
            #expect(!(try await client.get("/account", headers: ada.cookieHeader).text.contains("Change password")))
        }
    }

    @Test func resetRequestsAnswerTheSameWhetherOrNotTheAccountExists() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            try await client.register("ada@example.com")
            let known = try await client.post("/v1/password-reset", json: ["email": "ada@example.com"])
            let unknown = try await client.post("/v1/password-reset", json: ["email": "nobody@example.com"])
            #expect(known.status == .accepted && unknown.status == .accepted)
            #expect(known.text == unknown.text)
            #expect(LimitsAndThrottlingTests.withoutDate(known.headers) == LimitsAndThrottlingTests.withoutDate(unknown.headers))
            try await app.deliverMail(until: 2)  // verification + reset
            #expect(app.mail?.sent.filter { $0.to == "nobody@example.com" }.isEmpty == true)
            #expect(try await client.post("/v1/password-reset", json: ["email": "not an address"]).status == .badRequest)
            let wrongType = try await client.executeRequest(
                uri: "/v1/password-reset",
                method: .post,
                headers: [.contentType: "text/plain"],
                body: ByteBuffer(string: #"{"email":"ada@example.com"}"#)
            )
            #expect(wrongType.status == .unsupportedMediaType)
        }
    }

    @Test func aResetOverTheAPIEndsEverySessionAndTokenAndWorksOnce() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            #expect(try await client.post("/v1/password-reset", json: ["email": "ada@example.com"]).status == .accepted)
            try await app.deliverMail(until: 2)
            let token = try #require(app.mail?.token("/reset-password", to: "ada@example.com"))

            let weak = try await client.post("/v1/password-reset/confirm", json: ["token": token, "password": "password"])
            #expect(weak.status == .badRequest)
            #expect(try await client.post("/v1/password-reset/confirm", json: ["token": token, "password": Self.newPassword]).status == .noContent)
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)
            #expect(try await client.refreshGrant(try #require(grant.json["refresh_token"] as? String)).json["error"] as? String == "invalid_grant")
            #expect(try await client.logIn("ada@example.com").status == .unauthorized)
            let fresh = try await client.logIn("ada@example.com", Self.newPassword)
            #expect(fresh.status == .created)
            #expect((fresh.json["user"] as? [String: Any])?["email_verified"] as? Bool == true)

            let again = try await client.post("/v1/password-reset/confirm", json: ["token": token, "password": "yet another passphrase here"])
            #expect(again.status == .badRequest)
            #expect(again.json["type"] as? String == "/problems/invalid_token")
            #expect(!again.text.contains(token))
        }
    }

    @Test func aPasswordChangeNeedsTheCurrentPasswordAndKeepsOnlyTheCurrentSession() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let here = try await client.signUpAndLogIn("ada@example.com")
            let elsewhere = try await client.logIn("ada@example.com").browser()
            let change: [String: Any] = ["current_password": strongPassword, "new_password": Self.newPassword]
            #expect(try await client.post("/v1/password", json: change, headers: here.headers(csrf: false)).status == .forbidden)
            let wrong = try await client.post(
                "/v1/password",
                json: ["current_password": "not my password", "new_password": Self.newPassword],
                headers: here.headers()
            )
            #expect(wrong.status == .forbidden)
            #expect(try await client.post("/v1/password", json: change, headers: here.headers()).status == .noContent)
            #expect(try await client.get("/v1/me", headers: here.cookieHeader).status == .ok)
            #expect(try await client.get("/v1/me", headers: elsewhere.cookieHeader).status == .unauthorized)
            try await app.deliverMail(until: 2)
            #expect(app.mail?.sent.contains { $0.subject.contains("password was changed") } == true)

            // By bearer token too.
            let grant = try await client.passwordGrant("ada@example.com", Self.newPassword)
            let access = try #require(grant.json["access_token"] as? String)
            let byToken = try await client.post(
                "/v1/password",
                json: ["current_password": Self.newPassword, "new_password": "changed again, on purpose"],
                headers: bearer(access)
            )
            #expect(byToken.status == .noContent)
            #expect(try await client.get("/v1/me", headers: bearer(access)).status == .unauthorized)
        }
    }

    @Test func verificationShowsInMeAndInTheToken() async throws {
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).json["email_verified"] as? Bool == false)
            let before = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(tokenClaims(before)["email_verified"] as? Bool == false)
            #expect(try await client.post("/v1/email-verification", json: [:], headers: ada.headers()).status == .accepted)
            try await app.deliverMail(until: 2)
            let token = try #require(app.mail?.token("/verify-email", to: "ada@example.com"))
            #expect(try await client.post("/v1/email-verification/confirm", json: ["token": token]).status == .noContent)
            #expect(try await client.post("/v1/email-verification/confirm", json: ["token": token]).status == .badRequest)
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).json["email_verified"] as? Bool == true)
            let after = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(tokenClaims(after)["email_verified"] as? Bool == true)
        }
    }

    @Test func requiringAVerifiedEmailRefusesSignInOnlyAfterTheRightPassword() async throws {
        let app = TestApp(mail: RecordingMailTransport()) { $0.requireVerifiedEmail = true }
        try await app.test { client in
            try await client.register("ada@example.com")
            #expect(try await client.logIn("ada@example.com", "not the right password").status == .unauthorized)
            let refused = try await client.logIn("ada@example.com")
            #expect(refused.status == .forbidden)
            #expect(refused.json["type"] as? String == "/problems/email-not-verified")
            #expect(refused.headers[.setCookie] == nil)
            let grant = try await client.passwordGrant("ada@example.com")
            #expect(grant.status == .forbidden)
            #expect(grant.json["access_token"] == nil)
            try await app.deliverMail(until: 1)
            let token = try #require(app.mail?.token("/verify-email", to: "ada@example.com"))
            #expect(try await client.post("/v1/email-verification/confirm", json: ["token": token]).status == .noContent)
            #expect(try await client.logIn("ada@example.com").status == .created)
        }
    }
}

/// An access token's claims, read without verifying it (the server does).
func tokenClaims(_ token: String) -> [String: Any] {
    let segments = token.split(separator: ".")
    guard segments.count == 3, let payload = Data(base64URLEncoded: String(segments[1])) else { return [:] }
    return (try? JSONSerialization.jsonObject(with: payload)) as? [String: Any] ?? [:]
}
