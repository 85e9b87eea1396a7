import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

/// Two-step verification over the API: enrolment, the sign-in's second step for sessions and for
/// the password grant, single use of every code, the throttle, and the `amr` that results.
@Suite("Second factor endpoints")
struct SecondFactorEndpointTests {
    /// Turns the authenticator app on for the signed-in `browser`; returns the app and the recovery codes.
    static func enrol(_ client: some TestClientProtocol, _ browser: Browser, app: TestApp) async throws -> (AuthenticatorApp, [String]) {
        let enrolment = try await client.post("/v1/mfa/totp", json: [:], headers: browser.headers())
        #expect(enrolment.status == .ok)
        let secret = try #require(enrolment.json["secret"] as? String)
        let uri = try #require(enrolment.json["otpauth_uri"] as? String)
        #expect(uri.hasPrefix("otpauth://totp/") && uri.contains("secret=\(secret)"))
        let authenticator = try #require(AuthenticatorApp(secret: secret))
        let confirmed = try await client.post(
            "/v1/mfa/totp/confirm",
            json: ["code": authenticator.code(at: app.clock.now)],
            headers: browser.headers()
        )
        #expect(confirmed.status == .ok)
        let codes = try #require(confirmed.json["recovery_codes"] as? [String])
        #expect(codes.count == 10)
        return (authenticator, codes)
    }

    /// The password step of an account with a second factor: its `mfa_token`.
    static func passwordStep(_ client: some TestClientProtocol, _ email: String, remember: Bool = false) async throws -> String {
        let response = try await client.logIn(email, remember: remember)
        #expect(response.status == .ok)
        #expect(response.headers[.setCookie] == nil)
        #expect(response.json["mfa_required"] as? Bool == true)
        #expect(response.json["methods"] as? [String] == ["totp", "recovery_code"])
        return try #require(response.json["mfa_token"] as? String)
    }

    static func auth(_ me: TestResponse) -> [String: Any] { me.json["auth"] as? [String: Any] ?? [:] }

    @Test func enrolmentThenSignInNeedsACodeAndRecordsHowItWasProven() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            #expect(Self.auth(try await client.get("/v1/me", headers: ada.cookieHeader))["amr"] as? [String] == ["pwd"])
            // A wrong first code confirms nothing.
            let enrolment = try await client.post("/v1/mfa/totp", json: [:], headers: ada.headers())
            let wrong = try await client.post("/v1/mfa/totp/confirm", json: ["code": "000000"], headers: ada.headers())
            #expect(wrong.status == .unauthorized || enrolment.json["secret"] == nil)
            #expect(try await client.get("/v1/mfa", headers: ada.cookieHeader).json["totp"] as? Bool == false)
            #expect(try await client.logIn("ada@example.com").status == .created, "a pending enrolment asks for nothing")

            app.clock.advance(by: .seconds(30))
            let (authenticator, _) = try await Self.enrol(client, ada, app: app)
            let status = try await client.get("/v1/mfa", headers: ada.cookieHeader).json
            #expect(status["totp"] as? Bool == true && status["recovery_codes_left"] as? Int == 10)
            // Enrolling again is refused while it is on.
            #expect(try await client.post("/v1/mfa/totp", json: [:], headers: ada.headers()).status == .badRequest)

            app.clock.advance(by: .seconds(30))
            let challenge = try await Self.passwordStep(client, "ada@example.com", remember: true)
            let code = authenticator.code(at: app.clock.now)
            let done = try await client.post("/v1/sessions/mfa", json: ["mfa_token": challenge, "code": code])
            #expect(done.status == .created)
            let browser = try done.browser()
            #expect(done.headers[.setCookie]?.contains("Max-Age") == true, "the password step's remember is honoured")
            let auth = Self.auth(try await client.get("/v1/me", headers: browser.cookieHeader))
            #expect(auth["amr"] as? [String] == ["pwd", "otp", "mfa"])
            #expect(auth["auth_time"] as? Int == Int(app.clock.now.epochSeconds))
            // A token minted from the session carries the same proof.
            let exchanged = try await client.token(
                ["grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token_type": "urn:portcullis:session"],
                headers: browser.headers()
            )
            let access = try #require(exchanged.json["access_token"] as? String)
            #expect(Self.auth(try await client.get("/v1/me", headers: bearer(access)))["amr"] as? [String] == ["pwd", "otp", "mfa"])

            // The challenge and the code each worked once.
            #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": challenge, "code": code]).status == .unauthorized)
            let again = try await Self.passwordStep(client, "ada@example.com")
            #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": again, "code": code]).status == .unauthorized, "replayed code")
            // The next step's code works; a challenge does not outlive five minutes.
            app.clock.advance(by: .seconds(30))
            #expect(
                try await client.post("/v1/sessions/mfa", json: ["mfa_token": again, "code": authenticator.code(at: app.clock.now)]).status
                    == .created
            )
            let late = try await Self.passwordStep(client, "ada@example.com")
            app.clock.advance(by: .seconds(301))
            #expect(
                try await client.post("/v1/sessions/mfa", json: ["mfa_token": late, "code": authenticator.code(at: app.clock.now)]).status
                    == .unauthorized
            )
        }
    }

    @Test func concurrentSecondStepsWithOneCodeLetExactlyOneThrough() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let (authenticator, recovery) = try await Self.enrol(client, ada, app: app)
            app.clock.advance(by: .seconds(30))
            var challenges: [String] = []
            for _ in 0..<8 { challenges.append(try await Self.passwordStep(client, "ada@example.com")) }
            for code in [authenticator.code(at: app.clock.now), recovery[0]] {
                let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                    for challenge in challenges.prefix(4) {
                        group.addTask { try await client.post("/v1/sessions/mfa", json: ["mfa_token": challenge, "code": code]).status }
                    }
                    return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
                }
                #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
                #expect(statuses.filter { $0 == .unauthorized }.count == 3, "\(statuses)")
                challenges.removeFirst(4)
            }
        }
    }

    @Test func recoveryCodesWorkOnceAndWrongCodesAreThrottled() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let laptop = try await client.logIn("ada@example.com").browser()
            let (_, recovery) = try await Self.enrol(client, ada, app: app)
            #expect(try await client.get("/v1/me", headers: laptop.cookieHeader).status == .unauthorized, "confirming ended the other sessions")
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).status == .ok)
            let challenge = try await Self.passwordStep(client, "ada@example.com")
            #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": challenge, "code": recovery[3].uppercased()]).status == .created)
            let second = try await Self.passwordStep(client, "ada@example.com")
            #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": second, "code": recovery[3]]).status == .unauthorized)
            // Wrong codes count like wrong passwords: the throttle stops guessing, even with a right code.
            for _ in 0..<9 {
                #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": second, "code": "123456"]).status == .unauthorized)
            }
            let throttled = try await client.post("/v1/sessions/mfa", json: ["mfa_token": second, "code": recovery[4]])
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
        }
    }

    @Test func thePasswordGrantAnswersMfaRequiredAndTheOtpGrantCompletesIt() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let (authenticator, _) = try await Self.enrol(client, ada, app: app)
            app.clock.advance(by: .seconds(30))
            let grant = try await client.passwordGrant("ada@example.com")
            #expect(grant.status == .forbidden)
            #expect(grant.json["error"] as? String == "mfa_required")
            #expect(grant.json["access_token"] == nil)
            let challenge = try #require(grant.json["mfa_token"] as? String)
            let grantType = "urn:portcullis:grant-type:mfa-otp"
            let wrong = try await client.token(["grant_type": grantType, "mfa_token": challenge, "otp": "000000"])
            #expect(wrong.json["error"] as? String == "invalid_grant")
            let issued = try await client.token(["grant_type": grantType, "mfa_token": challenge, "otp": authenticator.code(at: app.clock.now)])
            #expect(issued.status == .ok)
            let access = try #require(issued.json["access_token"] as? String)
            let refresh = try #require(issued.json["refresh_token"] as? String)
            let claims = try Self.claims(of: access)
            #expect(claims.authMethods == ["pwd", "otp", "mfa"])
            #expect(claims.authTime == app.clock.now.epochSeconds)
            // Refreshed tokens keep the proof of the sign-in that started the family.
            app.clock.advance(by: .seconds(60))
            let refreshed = try await client.refreshGrant(refresh)
            let next = try Self.claims(of: try #require(refreshed.json["access_token"] as? String))
            #expect(next.authMethods == ["pwd", "otp", "mfa"] && next.authTime == claims.authTime)
            #expect(
                try await client.token(["grant_type": grantType, "mfa_token": challenge, "otp": authenticator.code(at: app.clock.now)]).json["error"]
                    as? String == "invalid_grant"
            )
            let metadata = try await client.get("/.well-known/oauth-authorization-server").json
            #expect((metadata["grant_types_supported"] as? [String])?.contains(grantType) == true)
        }
    }

    @Test func turningItOffNeedsThePasswordAndEndsTheOtherSessions() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            _ = try await Self.enrol(client, ada, app: app)
            let early = try await Self.passwordStep(client, "ada@example.com")
            #expect(try await client.post("/v1/mfa/totp", json: [:], headers: ada.headers()).status == .badRequest)
            let codes = try await Self.newCodes(client, ada)
            // A change of factors retires the challenges in flight.
            #expect(try await client.post("/v1/sessions/mfa", json: ["mfa_token": early, "code": codes[1]]).status == .unauthorized)
            let challenge = try await Self.passwordStep(client, "ada@example.com")
            let phone = try await client.post("/v1/sessions/mfa", json: ["mfa_token": challenge, "code": codes[0]])
            #expect(phone.status == .created)
            let phoneBrowser = try phone.browser()
            let refused = try await executeDelete(client, "/v1/mfa/totp", json: ["password": "not the password at all"], headers: ada.headers())
            #expect(refused.status == .forbidden)
            #expect(try await executeDelete(client, "/v1/mfa/totp", json: ["password": strongPassword], headers: ada.headers()).status == .noContent)
            #expect(try await client.get("/v1/me", headers: phoneBrowser.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).status == .ok)
            #expect(try await client.logIn("ada@example.com").status == .created, "a password alone signs in again")
            #expect(try await client.get("/v1/mfa", headers: ada.cookieHeader).json["recovery_codes_left"] as? Int == 0)
        }
    }

    @Test func aSignInThatIsNotRecentNeedsThePasswordToChangeFactors() async throws {
        let app = TestApp()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            app.clock.advance(by: .seconds(16 * 60))
            // A stolen session alone cannot put the thief's app on the account.
            let refused = try await client.post("/v1/mfa/totp", json: [:], headers: ada.headers())
            #expect(refused.status == .forbidden)
            #expect(try await client.post("/v1/mfa/totp", json: ["password": "not the password at all"], headers: ada.headers()).status == .forbidden)
            let enrolment = try await client.post("/v1/mfa/totp", json: ["password": strongPassword], headers: ada.headers())
            #expect(enrolment.status == .ok)
            let secret = try #require(enrolment.json["secret"] as? String)
            let authenticator = try #require(AuthenticatorApp(secret: secret))
            let confirmed = try await client.post(
                "/v1/mfa/totp/confirm",
                json: ["code": authenticator.code(at: app.clock.now)],
                headers: ada.headers()
            )
            #expect(confirmed.status == .ok)
            #expect(try await client.post("/v1/mfa/recovery-codes", json: [:], headers: ada.headers()).status == .forbidden)
            #expect(try await client.post("/v1/mfa/recovery-codes", json: ["password": strongPassword], headers: ada.headers()).status == .ok)
            // The account page asks for the password in those forms too.
            #expect(try await client.get("/account", headers: ada.cookieHeader).text.contains("id=\"codes-password\""))
        }
    }

    /// New recovery codes for the signed-in `browser`.
    static func newCodes(_ client: some TestClientProtocol, _ browser: Browser) async throws -> [String] {
        let response = try await client.post("/v1/mfa/recovery-codes", json: [:], headers: browser.headers())
        #expect(response.status == .ok)
        return try #require(response.json["recovery_codes"] as? [String])
    }

    /// The claims of an access token, read without verifying it (the server just issued it).
    static func claims(of token: String) throws -> AccessTokenClaims {
        let payload = try #require(Base64.decode(String(token.split(separator: ".")[1])))
        return try JSONDecoder().decode(AccessTokenClaims.self, from: Data(payload))
    }

    func executeDelete(_ client: some TestClientProtocol, _ uri: String, json: [String: Any], headers: HTTPFields) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        return try await client.executeRequest(
            uri: uri,
            method: .delete,
            headers: headers,
            body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: json))
        )
    }
}
