import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisHummingbird
import PortcullisTesting
import PortcullisVerifier
import Testing

/// The middleware in front of a Hummingbird app, with a verifier following a real issuer.
@Suite("Bearer authenticator", .timeLimit(.minutes(2)))
struct AuthenticatorTests {
    /// An app with one route for any signed-in identity and one for admins.
    static func app(verifier: PortcullisVerifier) -> some ApplicationProtocol {
        let router = Router(context: BearerRequestContext.self)
        router.add(middleware: BearerAuthenticator(verifier: verifier))
        router.get("public") { _, context in context.identity?.subject ?? "anonymous" }
        let signedIn = router.group("orders").add(middleware: RequireIdentity())
        signedIn.get { _, context in "orders of \(context.identity?.subject ?? "?")" }
        router.group("admin").add(middleware: RequireIdentity(roles: ["admin"])).get { _, _ in "admin" }
        router.group("payouts").add(middleware: RequireIdentity(secondFactor: true)).get { _, _ in "payouts" }
        router.group("recent").add(middleware: RequireIdentity(maximumAuthenticationAge: .seconds(600))).get { _, _ in "recent" }
        return Application(router: router, services: [verifier])
    }

    static func withApp(_ body: @Sendable (LiveIssuer, any TestClientProtocol) async throws -> Void) async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let (client, secret) = ServiceClient.create(name: "orders", now: .now)
        try await issuer.services.store.insertClient(client)
        var configuration = VerifierConfiguration(issuer: issuer.url, audiences: ["api"], client: .init(id: client.id, secret: secret))
        configuration.stalenessBound = .seconds(30)
        let verifier = PortcullisVerifier(configuration: configuration, logger: Logger(label: "verifier", factory: { _ in SwiftLogNoOpLogHandler() }))
        try await Self.app(verifier: verifier).test(.router) { client in
            // The verifier starts with the app; wait for its first key set.
            let clock = ContinuousClock()
            let start = clock.now
            while !verifier.status.hasKeys, clock.now - start < .seconds(60) { try await Task.sleep(for: .milliseconds(20)) }
            try await body(issuer, client)
        }
        await issuer.stop()
    }

    @Test func aVerifiedTokenPutsTheIdentityOnTheContext() async throws {
        try await Self.withApp { issuer, client in
            let account = try await issuer.signUp("ada@example.com")
            let token = try await issuer.tokens(for: account).accessToken
            let response = try await client.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer \(token)"])
            #expect(response.status == .ok)
            #expect(String(buffer: response.body) == "orders of \(account.id)")
        }
    }

    @Test func stepUpRefusesAPasswordOnlySignInAndAnOldOne() async throws {
        try await Self.withApp { issuer, client in
            let account = try await issuer.signUp("ada@example.com")
            let passwordOnly = try await issuer.tokens(for: account).accessToken
            let refused = try await client.execute(uri: "/payouts", method: .get, headers: [.authorization: "Bearer \(passwordOnly)"])
            #expect(refused.status == .unauthorized)
            #expect(refused.headers[.wwwAuthenticate]?.contains(#"error="insufficient_user_authentication""#) == true)
            let strong = try await issuer.tokens(for: account, authMethods: AuthenticationMethod.passwordAndCode).accessToken
            let allowed = try await client.execute(uri: "/payouts", method: .get, headers: [.authorization: "Bearer \(strong)"])
            #expect(allowed.status == .ok)
            // auth_time is the refresh family's start: a sign-in just now passes a ten-minute limit.
            #expect(try await client.execute(uri: "/recent", method: .get, headers: [.authorization: "Bearer \(passwordOnly)"]).status == .ok)
            let old = try await issuer.tokens(
                for: account,
                authMethods: AuthenticationMethod.passwordAndCode,
                signedInAt: Date().addingTimeInterval(-3600)
            )
            let stale = try await client.execute(uri: "/recent", method: .get, headers: [.authorization: "Bearer \(old.accessToken)"])
            #expect(stale.status == .unauthorized)
            #expect(stale.headers[.wwwAuthenticate] == #"Bearer error="insufficient_user_authentication", max_age=600"#)
            #expect(try await client.execute(uri: "/payouts", method: .get, headers: [.authorization: "Bearer \(old.accessToken)"]).status == .ok)
        }
    }

    @Test func noTokenOnAGuardedRouteIsABareChallenge() async throws {
        try await Self.withApp { _, client in
            let response = try await client.execute(uri: "/orders", method: .get)
            #expect(response.status == .unauthorized)
            #expect(response.headers[.wwwAuthenticate] == "Bearer")
            #expect(String(buffer: try await client.execute(uri: "/public", method: .get).body) == "anonymous")
        }
    }

    @Test(arguments: ["Bearer not-a-token", "Bearer a.b.c", "bearer eyJhbGciOiJub25lIn0.e30.AA"])
    func anInvalidTokenIs401InvalidTokenEvenOnOpenRoutes(header: String) async throws {
        try await Self.withApp { _, client in
            for path in ["/orders", "/public"] {
                let response = try await client.execute(uri: path, method: .get, headers: [.authorization: header])
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == #"Bearer error="invalid_token""#)
                #expect(!String(buffer: response.body).contains(header.dropFirst(7)))
            }
        }
    }

    @Test func aRevokedTokenIsRefused() async throws {
        try await Self.withApp { issuer, client in
            let account = try await issuer.signUp("ada@example.com")
            let token = try await issuer.tokens(for: account).accessToken
            #expect(try await client.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer \(token)"]).status == .ok)
            try await issuer.services.accounts.signOutEverywhere(accountID: account.id)
            let clock = ContinuousClock()
            let start = clock.now
            var status = HTTPResponse.Status.ok
            while status == .ok, clock.now - start < .seconds(5) {
                status = try await client.execute(uri: "/orders", method: .get, headers: [.authorization: "Bearer \(token)"]).status
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(status == .unauthorized)
            #expect(clock.now - start < .seconds(1))
        }
    }

    @Test func theRolePolicyAnswers403InsufficientScope() async throws {
        try await Self.withApp { issuer, client in
            let ada = try await issuer.tokens(for: try await issuer.signUp("ada@example.com")).accessToken
            let root = try await issuer.tokens(for: try await issuer.signUp("root@example.com", roles: ["admin"])).accessToken
            let refused = try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(ada)"])
            #expect(refused.status == .forbidden)
            #expect(refused.headers[.wwwAuthenticate] == #"Bearer error="insufficient_scope""#)
            #expect(try await client.execute(uri: "/admin", method: .get, headers: [.authorization: "Bearer \(root)"]).status == .ok)
        }
    }
}
