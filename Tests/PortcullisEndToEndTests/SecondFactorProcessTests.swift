import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// Two-step verification and passkeys across two `portcullis serve` processes on one PostgreSQL
/// database: every code, challenge and assertion works once, whichever instances the requests
/// reach at the same moment.
@Suite("Second factors on several instances")
struct SecondFactorProcessTests {
    @Test func codesAndChallengesWorkOnceAcrossInstances() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let shared = ["--database", database, "--key-file", directory.path("shared.key")]
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: shared).status == 0)
        let a = try await ServerProcess.start(in: directory.url, arguments: shared)
        let b = try await ServerProcess.start(in: directory.url, arguments: shared)
        let credentials: [String: any Sendable] = ["email": "ada@example.com", "password": password]

        // Set up on A; the laptop's session on B ends (a change of factors).
        let login = try await a.request(.POST, "/v1/sessions", json: credentials)
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)
        let laptop = try #require(try await b.request(.POST, "/v1/sessions", json: credentials).sessionCookie)
        let enrolment = try await a.request(.POST, "/v1/mfa/totp", json: [:], cookie: cookie, csrf: csrf)
        let secret = try #require(enrolment.json["secret"] as? String)
        let app = try #require(AuthenticatorApp(secret: secret))
        let confirmed = try await b.request(.POST, "/v1/mfa/totp/confirm", json: ["code": app.code(at: Date())], cookie: cookie, csrf: csrf)
        #expect(confirmed.status == 200)
        let recovery = try #require(confirmed.json["recovery_codes"] as? [String])
        try await MultiInstanceTests.eventually { try await a.request(.GET, "/v1/me", cookie: laptop).status == 401 }

        // Nine challenges, from both instances; then one code at a time, four requests at
        // once across both instances: exactly one signs in. The next step's code is accepted
        // now (one step of drift), and was never used.
        var challenges: [String] = []
        for index in 0..<9 {
            let step = try await (index.isMultiple(of: 2) ? a : b).request(.POST, "/v1/sessions", json: credentials)
            #expect(step.status == 200 && step.sessionCookie == nil)
            challenges.append(try #require(step.json["mfa_token"] as? String))
        }
        for code in [app.code(at: Date().addingTimeInterval(30)), recovery[0]] {
            let batch = Array(challenges.prefix(4))
            challenges.removeFirst(4)
            let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
                for (index, challenge) in batch.enumerated() {
                    group.addTask {
                        try await (index.isMultiple(of: 2) ? a : b).request(.POST, "/v1/sessions/mfa", json: ["mfa_token": challenge, "code": code])
                            .status
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(statuses.sorted() == [201, 401, 401, 401], "\(statuses)")
        }

        // Turning it off on B (with the password) ends the sessions the second step started, on A too.
        let last = try #require(challenges.first)
        let phone = try await b.request(.POST, "/v1/sessions/mfa", json: ["mfa_token": last, "code": recovery[1]])
        let phoneCookie = try #require(phone.sessionCookie)
        #expect(
            try await a.request(.GET, "/v1/me", cookie: phoneCookie).json["auth"].flatMap { ($0 as? [String: Any])?["amr"] as? [String] } == [
                "pwd", "otp", "mfa",
            ]
        )
        #expect(try await b.request(.DELETE, "/v1/mfa/totp", json: ["password": password], cookie: cookie, csrf: csrf).status == 204)
        try await MultiInstanceTests.eventually { try await a.request(.GET, "/v1/me", cookie: phoneCookie).status == 401 }
        #expect(try await a.request(.POST, "/v1/sessions", json: credentials).status == 201)

        try await a.stop()
        try await b.stop()
    }

    @Test func aPasskeyAssertionWorksOnceAcrossInstances() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let origin = "https://auth.example.com"
        let shared = ["--database", database, "--key-file", directory.path("shared.key")]
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: shared).status == 0)
        let a = try await ServerProcess.start(in: directory.url, arguments: shared + ["--public-url", origin])
        let b = try await ServerProcess.start(in: directory.url, arguments: shared + ["--public-url", origin])
        let site = SoftwarePasskey.Ceremony(origin: origin, relyingPartyID: "auth.example.com")

        // Options from A, the registration on B: the challenge is bound to the session, not the instance.
        let login = try await a.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)
        let options = try await a.request(.POST, "/v1/webauthn/register/options", json: [:], cookie: cookie, csrf: csrf)
        let user = try #require((options.json["user"] as? [String: Any])?["id"] as? String)
        var passkey = try SoftwarePasskey(userHandle: Array(try #require(ProcessLifecycleTests.base64URLDecode(user))))
        let credential = try passkey.register(challenge: try #require(options.json["challenge"] as? String), site)
        #expect(try await b.request(.POST, "/v1/webauthn/register", json: ["credential": credential], cookie: cookie, csrf: csrf).status == 201)

        // One assertion, four requests at once across both instances: exactly one signs in.
        let challenge = try #require(try await b.request(.POST, "/v1/webauthn/login/options", json: [:]).json["challenge"] as? String)
        let assertion = try passkey.assert(challenge: challenge, site)
        let statuses = try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<4 {
                group.addTask {
                    try await (index.isMultiple(of: 2) ? a : b).request(.POST, "/v1/webauthn/login", json: ["credential": assertion]).status
                }
            }
            return try await group.reduce(into: [Int]()) { $0.append($1) }
        }
        #expect(statuses.sorted() == [201, 401, 401, 401], "\(statuses)")

        // Removing it on A ends the passkey's session on B.
        let phone = try await a.request(.POST, "/v1/webauthn/login", json: ["credential": try passkey.assert(challenge: challenge, site)])
        #expect(phone.status == 401, "a spent challenge")
        let fresh = try #require(try await a.request(.POST, "/v1/webauthn/login/options", json: [:]).json["challenge"] as? String)
        let signedIn = try await a.request(.POST, "/v1/webauthn/login", json: ["credential": try passkey.assert(challenge: fresh, site)])
        let phoneCookie = try #require(signedIn.sessionCookie)
        #expect(try await b.request(.GET, "/v1/me", cookie: phoneCookie).status == 200)
        #expect(
            try await a.request(.DELETE, "/v1/webauthn/credentials/\(passkey.id)", json: ["password": password], cookie: cookie, csrf: csrf).status
                == 204
        )
        try await MultiInstanceTests.eventually { try await b.request(.GET, "/v1/me", cookie: phoneCookie).status == 401 }

        try await a.stop()
        try await b.stop()
    }
}
