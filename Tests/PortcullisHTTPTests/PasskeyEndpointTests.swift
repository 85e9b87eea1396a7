import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

/// Passkeys over the API, with a software authenticator that answers exactly as a browser
/// would: registration, sign-in without an email, the second step of a password sign-in, the
/// list, rename and removal, and every check of the ceremonies tried with a bent answer.
@Suite("Passkey endpoints")
struct PasskeyEndpointTests {
    static let origin = "https://auth.example.com"
    static let site = SoftwarePasskey.Ceremony(origin: origin, relyingPartyID: "auth.example.com")

    static func app() -> TestApp {
        TestApp { $0.publicURL = origin }
    }

    /// Registers a new passkey for the signed-in `browser`.
    static func addPasskey(
        _ client: some TestClientProtocol,
        _ browser: Browser,
        algorithm: SoftwarePasskey.Algorithm = .es256,
        name: String = "Laptop"
    ) async throws -> SoftwarePasskey {
        let options = try await client.post("/v1/webauthn/register/options", json: [:], headers: browser.headers())
        #expect(options.status == .ok)
        let user = try #require(options.json["user"] as? [String: Any])
        let userID = try #require(user["id"] as? String)
        let passkey = try SoftwarePasskey(algorithm: algorithm, userHandle: try #require(Base64.decode(userID)))
        let challenge = try #require(options.json["challenge"] as? String)
        let registered = try await client.post(
            "/v1/webauthn/register",
            json: ["credential": try passkey.register(challenge: challenge, site), "name": name],
            headers: browser.headers()
        )
        #expect(registered.status == .created, "\(registered.text)")
        #expect(registered.json["id"] as? String == passkey.id)
        return passkey
    }

    /// A sign-in challenge (for the second step of `mfaToken`, or discoverable).
    static func signInChallenge(_ client: some TestClientProtocol, mfaToken: String? = nil) async throws -> String {
        let options = try await client.post("/v1/webauthn/login/options", json: mfaToken.map { ["mfa_token": $0] } ?? [:])
        #expect(options.status == .ok)
        #expect(options.json["rpId"] as? String == "auth.example.com")
        #expect(options.json["userVerification"] as? String == "required")
        return try #require(options.json["challenge"] as? String)
    }

    static func signIn(_ client: some TestClientProtocol, _ credential: [String: any Sendable], mfaToken: String? = nil) async throws -> TestResponse
    {
        var body: [String: Any] = ["credential": credential]
        if let mfaToken { body["mfa_token"] = mfaToken }
        return try await client.post("/v1/webauthn/login", json: body)
    }

    static func amr(_ client: some TestClientProtocol, _ browser: Browser) async throws -> [String] {
        let me = try await client.get("/v1/me", headers: browser.cookieHeader)
        return (me.json["auth"] as? [String: Any])?["amr"] as? [String] ?? []
    }

    @Test(arguments: SoftwarePasskey.Algorithm.allCases)
    func aPasskeySignsInWithoutAnEmailAndRecordsHowItWasProven(algorithm: SoftwarePasskey.Algorithm) async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            var passkey = try await Self.addPasskey(client, ada, algorithm: algorithm)
            let listed = try await client.get("/v1/webauthn/credentials", headers: ada.cookieHeader)
            let credentials = try #require(listed.json["credentials"] as? [[String: Any]])
            #expect(credentials.count == 1 && credentials[0]["name"] as? String == "Laptop")
            #expect(credentials[0]["last_used_at"] is NSNull)

            app.clock.advance(by: .seconds(60))
            let challenge = try await Self.signInChallenge(client)
            let signedIn = try await Self.signIn(client, try passkey.assert(challenge: challenge, Self.site))
            #expect(signedIn.status == .created, "\(signedIn.text)")
            let browser = try signedIn.browser()
            #expect(try await Self.amr(client, browser) == ["hwk", "user", "mfa"])
            let used = try await client.get("/v1/webauthn/credentials", headers: browser.cookieHeader)
            #expect((used.json["credentials"] as? [[String: Any]])?.first?["last_used_at"] as? Int == Int(app.clock.now.epochSeconds))
        }
    }

    @Test func aPasswordNowNeedsThePasskeyAsSecondStep() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            var passkey = try await Self.addPasskey(client, ada)
            let password = try await client.logIn("ada@example.com")
            #expect(password.status == .ok && password.json["mfa_required"] as? Bool == true)
            #expect(password.json["methods"] as? [String] == ["webauthn"])
            let token = try #require(password.json["mfa_token"] as? String)
            let options = try await client.post("/v1/webauthn/login/options", json: ["mfa_token": token])
            #expect((options.json["allowCredentials"] as? [[String: Any]])?.map { $0["id"] as? String } == [passkey.id])
            let challenge = try #require(options.json["challenge"] as? String)
            // A discoverable challenge does not complete a second step, nor the other way round.
            let discoverable = try await Self.signInChallenge(client)
            #expect(try await Self.signIn(client, try passkey.assert(challenge: discoverable, Self.site), mfaToken: token).status == .unauthorized)
            #expect(try await Self.signIn(client, try passkey.assert(challenge: challenge, Self.site)).status == .unauthorized)
            let done = try await Self.signIn(client, try passkey.assert(challenge: challenge, Self.site), mfaToken: token)
            #expect(done.status == .created, "\(done.text)")
            #expect(try await Self.amr(client, try done.browser()) == ["pwd", "hwk", "user", "mfa"])
            // The mfa_token worked once.
            #expect(try await client.post("/v1/webauthn/login/options", json: ["mfa_token": token]).status == .unauthorized)
        }
    }

    @Test func anotherAccountsPasskeyDoesNotCompleteMySecondStep() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            _ = try await Self.addPasskey(client, ada)
            let eve = try await client.signUpAndLogIn("eve@example.com")
            var evesKey = try await Self.addPasskey(client, eve)
            let adaStep = try #require(try await client.logIn("ada@example.com").json["mfa_token"] as? String)
            let challenge = try await Self.signInChallenge(client, mfaToken: adaStep)
            #expect(try await Self.signIn(client, try evesKey.assert(challenge: challenge, Self.site), mfaToken: adaStep).status == .unauthorized)
        }
    }

    @Test func bentCeremoniesAreRefused() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let other = try await client.logIn("ada@example.com").browser()
            // Registration: options fetched by one session do not complete in another.
            let options = try await client.post("/v1/webauthn/register/options", json: [:], headers: ada.headers())
            let challenge = try #require(options.json["challenge"] as? String)
            let userID = try #require((options.json["user"] as? [String: Any])?["id"] as? String)
            let user = try #require(Base64.decode(userID))
            let key = try SoftwarePasskey(userHandle: user)
            func register(_ ceremony: SoftwarePasskey.Ceremony, as browser: Browser = ada) async throws -> HTTPResponse.Status {
                try await client.post(
                    "/v1/webauthn/register",
                    json: ["credential": try key.register(challenge: challenge, ceremony)],
                    headers: browser.headers()
                ).status
            }
            #expect(try await register(Self.site, as: other) == .unauthorized, "another session's challenge")
            var phishing = Self.site
            phishing.origin = "https://auth.example.com.evil.test"
            #expect(try await register(phishing) == .unauthorized, "another origin")
            var otherSite = Self.site
            otherSite.relyingPartyID = "example.org"
            #expect(try await register(otherSite) == .unauthorized, "another relying party")
            var unverified = Self.site
            unverified.userVerified = false
            #expect(try await register(unverified) == .unauthorized, "no user verification")
            var wrongType = Self.site
            wrongType.type = "webauthn.get"
            #expect(try await register(wrongType) == .badRequest, "an assertion's client data")
            let shortID = try SoftwarePasskey(userHandle: user, idLength: 8)
            let short = try await client.post(
                "/v1/webauthn/register",
                json: ["credential": try shortID.register(challenge: challenge, Self.site)],
                headers: ada.headers()
            )
            #expect(short.status == .badRequest, "a credential id under 16 bytes")
            var packed = Self.site
            packed.format = "packed"
            #expect(try await register(packed) == .created, "packed self-attestation")
            #expect(try await register(Self.site) == .badRequest, "the same credential again")
            let another = try await client.post(
                "/v1/webauthn/register",
                json: ["credential": try SoftwarePasskey(userHandle: user).register(challenge: challenge, Self.site)],
                headers: ada.headers()
            )
            #expect(another.status == .unauthorized, "the challenge was spent")
            #expect(try await client.get("/v1/webauthn/credentials", headers: ada.cookieHeader).json["credentials"] as? [Any] != nil)
            #expect(try await client.get("/v1/me", headers: other.cookieHeader).status == .unauthorized, "adding a passkey ended the other session")

            // Sign-in: every bent assertion is refused and nothing is signed in.
            var passkey = key
            for ceremony in [phishing, otherSite, unverified] {
                let challenge = try await Self.signInChallenge(client)
                #expect(try await Self.signIn(client, try passkey.assert(challenge: challenge, ceremony)).status == .unauthorized)
            }
            // A discoverable sign-in must say whose passkey it is (the user handle).
            var anonymous = try passkey.assert(challenge: try await Self.signInChallenge(client), Self.site)
            var response = try #require(anonymous["response"] as? [String: any Sendable])
            response["userHandle"] = nil
            anonymous["response"] = response
            #expect(try await Self.signIn(client, anonymous).status == .badRequest, "no user handle")
            // A replay, and a counter that went back (a cloned authenticator).
            let fresh = try await Self.signInChallenge(client)
            let assertion = try passkey.assert(challenge: fresh, Self.site)
            #expect(try await Self.signIn(client, assertion).status == .created)
            #expect(try await Self.signIn(client, assertion).status == .unauthorized, "replayed")
            let cloned = try passkey.assertion(challenge: try await Self.signInChallenge(client), Self.site, signCount: 1)
            #expect(try await Self.signIn(client, cloned).status == .unauthorized, "counter regression")
            // An expired challenge.
            let old = try await Self.signInChallenge(client)
            app.clock.advance(by: .seconds(301))
            #expect(try await Self.signIn(client, try passkey.assert(challenge: old, Self.site)).status == .unauthorized, "expired")
            #expect(
                try await Self.signIn(client, try passkey.assert(challenge: try await Self.signInChallenge(client), Self.site)).status == .created
            )
        }
    }

    @Test func oneAssertionSentFourTimesAtOnceSignsInOnce() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            var passkey = try await Self.addPasskey(client, ada)
            let assertion = try passkey.assert(challenge: try await Self.signInChallenge(client), Self.site)
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<4 { group.addTask { try await Self.signIn(client, assertion).status } }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1, "\(statuses)")
            #expect(statuses.filter { $0 == .unauthorized }.count == 3, "\(statuses)")
        }
    }

    @Test func renamingRemovingAndTheRecentSignInRule() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let passkey = try await Self.addPasskey(client, ada)
            let second = try await Self.addPasskey(client, ada, algorithm: .ed25519, name: "Phone")
            var headers = ada.headers()
            headers[.contentType] = "application/json"
            let renamed = try await client.executeRequest(
                uri: "/v1/webauthn/credentials/\(passkey.id)",
                method: .patch,
                headers: headers,
                body: ByteBuffer(string: #"{"name":"  Work laptop \n"}"#)
            )
            #expect(renamed.status == .ok && renamed.json["name"] as? String == "Work laptop")
            // Someone else's passkey, or none: not found.
            let eve = try await client.signUpAndLogIn("eve@example.com")
            #expect(try await client.delete("/v1/webauthn/credentials/\(passkey.id)", headers: eve.headers()).status == .notFound)
            // A token, however fresh, adds a passkey only with the password: a passkey outlives it.
            let token = try #require(try await client.passwordGrant("eve@example.com").json["access_token"] as? String)
            #expect(try await client.post("/v1/webauthn/register/options", json: [:], headers: bearer(token)).status == .forbidden)
            #expect(try await client.post("/v1/webauthn/register/options", json: ["password": strongPassword], headers: bearer(token)).status == .ok)

            // An old sign-in needs the password to add or remove.
            let laptop = try await client.logIn("ada@example.com")
            #expect(laptop.json["mfa_required"] as? Bool == true)
            app.clock.advance(by: .seconds(901))
            #expect(try await client.post("/v1/webauthn/register/options", json: [:], headers: ada.headers()).status == .forbidden)
            #expect(try await client.delete("/v1/webauthn/credentials/\(second.id)", headers: ada.headers()).status == .forbidden)
            #expect(
                try await client.post("/v1/webauthn/register/options", json: ["password": strongPassword], headers: ada.headers()).status == .ok
            )

            // Removing the last passkey: the password alone signs in again, and the other sessions end.
            var phone = second
            let phoneSession = try await Self.signIn(client, try phone.assert(challenge: try await Self.signInChallenge(client), Self.site)).browser()
            for id in [passkey.id, second.id] {
                let removed = try await client.executeRequest(
                    uri: "/v1/webauthn/credentials/\(id)",
                    method: .delete,
                    headers: headers,
                    body: ByteBuffer(string: #"{"password":"\#(strongPassword)"}"#)
                )
                #expect(removed.status == .noContent)
            }
            #expect(try await client.get("/v1/me", headers: phoneSession.cookieHeader).status == .unauthorized)
            #expect(try await client.get("/v1/me", headers: ada.cookieHeader).status == .ok)
            #expect(try await client.logIn("ada@example.com").status == .created)
            #expect(
                try await Self.signIn(client, try phone.assert(challenge: try await Self.signInChallenge(client), Self.site)).status == .unauthorized
            )
        }
    }

    @Test func twoRemovalsAtOnceWithoutThePasswordLeaveTheLastFactor() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let laptop = try await Self.addPasskey(client, ada)
            let phone = try await Self.addPasskey(client, ada, name: "Phone")
            // Each sees the other passkey as the factor that stays: only one may go.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for id in [laptop.id, phone.id] {
                    group.addTask { try await client.delete("/v1/webauthn/credentials/\(id)", headers: ada.headers()).status }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.sorted { $0.code < $1.code } == [.noContent, .forbidden], "\(statuses)")
            let left = try await client.get("/v1/webauthn/credentials", headers: ada.cookieHeader)
            #expect((left.json["credentials"] as? [Any])?.count == 1)
        }
    }

    @Test func refusedAssertionsCountAgainstTheSignInThrottle() async throws {
        let app = Self.app()
        try await app.test { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            var passkey = try await Self.addPasskey(client, ada)
            var unverified = Self.site
            unverified.userVerified = false
            for _ in 0..<10 {
                _ = try await Self.signIn(client, try passkey.assert(challenge: try await Self.signInChallenge(client), unverified))
            }
            let throttled = try await Self.signIn(client, try passkey.assert(challenge: try await Self.signInChallenge(client), Self.site))
            #expect(throttled.status == .tooManyRequests)
        }
    }

    @Test func theLoginAndAccountPagesLoadOnlyTheServersScript() async throws {
        let app = Self.app()
        try await app.test { client in
            let login = try await client.get("/login")
            let policy = try #require(login.headers[.contentSecurityPolicy])
            #expect(policy.contains("script-src 'self'") && !policy.contains("unsafe-inline"))
            #expect(login.text.contains("data-passkey=\"sign-in\""))
            let script = try #require(login.text.firstMatch(of: /src="(\/assets\/passkeys\.js\?v=[0-9a-f]+)"/)?.1)
            let served = try await client.get(String(script))
            #expect(served.status == .ok && served.headers[.contentType]?.hasPrefix("text/javascript") == true)
            #expect(!login.text.contains("<script>"), "no inline script")
            // Pages that offer no passkey stay script-free.
            let register = try await client.get("/register")
            #expect(register.headers[.contentSecurityPolicy]?.contains("script-src") == false)
            #expect(!register.text.contains("<script"))
        }
    }
}
