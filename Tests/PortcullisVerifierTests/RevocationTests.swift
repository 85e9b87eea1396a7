import Foundation
import HTTPTypes
import InMemoryLogging
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

@testable import PortcullisVerifier

/// Revocation reaches a running verifier within one second, by the event stream or by polling,
/// with no request to the issuer per verified token; and when the issuer is gone, the staleness
/// bound decides.
@Suite("Verifier: revocation", .timeLimit(.minutes(2)))
struct RevocationTests {
    /// Verifies `token` until it is refused, after `revoke` ran; returns how long that took and
    /// checks that the verifier made no request of its own meanwhile beyond the open stream.
    static func timeUntilRefused(
        _ token: String,
        by verifier: PortcullisVerifier,
        issuer: LiveIssuer,
        after revoke: () async throws -> Void
    ) async throws -> Duration {
        // Warm: the token is verified and cached, so later checks are lookups.
        #expect(await verifier.accepts(token))
        let requestsBefore = issuer.verifierRequestCount
        for _ in 0..<50 { #expect(await verifier.accepts(token)) }
        #expect(issuer.verifierRequestCount == requestsBefore, "no request to the issuer per verified token")
        try await revoke()
        let elapsed = try await eventually("the token is refused", timeout: .seconds(5)) { await verifier.rejection(token) == .revoked }
        return elapsed
    }

    @Test func sessionLogoutRevokesTheSessionsTokenWithinASecond() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let api = IssuerAPI(issuer: issuer)
        _ = try await issuer.signUp("ada@example.com")
        try await withVerifier(issuer) { verifier in
            let browser = try await api.logIn("ada@example.com")
            let token = try await api.exchange(cookie: browser.cookie, csrf: browser.csrf)
            let elapsed = try await Self.timeUntilRefused(token, by: verifier, issuer: issuer) {
                let reply = try await api.send("DELETE", "/v1/session", headers: ["Cookie": browser.cookie, "X-CSRF-Token": browser.csrf])
                #expect(reply.status == 204)
            }
            #expect(elapsed < .seconds(1))
            #expect(issuer.requestCount("/v1/revocations/stream") == 1, "one stream")
            #expect(issuer.requestCount("/v1/revocations") == 0, "no polling beside it")
        }
        await issuer.stop()
    }

    @Test func signOutEverywhereRevokesEveryTokenOfTheAccountWithinASecond() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let api = IssuerAPI(issuer: issuer)
        _ = try await issuer.signUp("ada@example.com")
        try await withVerifier(issuer) { verifier in
            let (token, _) = try await api.passwordGrant("ada@example.com")
            let (other, _) = try await api.passwordGrant("ada@example.com")
            let elapsed = try await Self.timeUntilRefused(token, by: verifier, issuer: issuer) {
                let reply = try await api.send("DELETE", "/v1/sessions", headers: ["Authorization": "Bearer \(token)"])
                #expect(reply.status == 204)
            }
            #expect(elapsed < .seconds(1))
            #expect(await verifier.rejection(other) == .revoked)
        }
        await issuer.stop()
    }

    @Test func aPasswordResetRevokesEveryTokenOfTheAccountWithinASecond() async throws {
        let mail = RecordingMailTransport()
        let issuer = try LiveIssuer(mail: mail)
        try await issuer.start()
        let api = IssuerAPI(issuer: issuer)
        _ = try await issuer.signUp("ada@example.com")
        try await withVerifier(issuer) { verifier in
            let (token, _) = try await api.passwordGrant("ada@example.com")
            let (other, _) = try await api.passwordGrant("ada@example.com")
            #expect(try await api.send("POST", "/v1/password-reset", json: ["email": "ada@example.com"]).status == 202)
            var link: String?
            for _ in 0..<100 where link == nil {
                link = mail.token("/reset-password", to: "ada@example.com")
                if link == nil { try await Task.sleep(for: .milliseconds(50)) }
            }
            let resetToken = try #require(link)
            let elapsed = try await Self.timeUntilRefused(token, by: verifier, issuer: issuer) {
                let reply = try await api.send(
                    "POST",
                    "/v1/password-reset/confirm",
                    json: ["token": resetToken, "password": "a brand new passphrase for ada"]
                )
                #expect(reply.status == 204)
            }
            #expect(elapsed < .seconds(1))
            #expect(await verifier.rejection(other) == .revoked)
        }
        await issuer.stop()
    }

    @Test func disablingAnAccountRevokesItsTokensWithinASecond() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let api = IssuerAPI(issuer: issuer)
        let ada = try await issuer.signUp("ada@example.com")
        _ = try await issuer.signUp("root@example.com", roles: ["admin"])
        try await withVerifier(issuer) { verifier in
            let (token, _) = try await api.passwordGrant("ada@example.com")
            let (admin, _) = try await api.passwordGrant("root@example.com")
            let elapsed = try await Self.timeUntilRefused(token, by: verifier, issuer: issuer) {
                let reply = try await api.send(
                    "PATCH",
                    "/v1/admin/users/\(ada.id)",
                    headers: ["Authorization": "Bearer \(admin)"],
                    json: ["disabled": true]
                )
                #expect(reply.status == 200)
            }
            #expect(elapsed < .seconds(1))
            #expect(await verifier.accepts(admin))
        }
        await issuer.stop()
    }

    @Test func refreshTokenReuseRevokesTheFamilysTokensWithinASecond() async throws {
        let issuer = try LiveIssuer(configure: { $0.refreshGrace = .zero })
        try await issuer.start()
        let api = IssuerAPI(issuer: issuer)
        _ = try await issuer.signUp("ada@example.com")
        try await withVerifier(issuer) { verifier in
            let (_, refresh) = try await api.passwordGrant("ada@example.com")
            let rotated = try await api.refresh(refresh)
            #expect(rotated.status == 200)
            let token = try #require(rotated.json["access_token"] as? String)
            let elapsed = try await Self.timeUntilRefused(token, by: verifier, issuer: issuer) {
                // The first refresh token again, after its (zero) grace window: reuse.
                let reuse = try await api.refresh(refresh)
                #expect(reuse.status == 400)
                #expect(reuse.json["error"] as? String == "invalid_grant")
            }
            #expect(elapsed < .seconds(1))
        }
        await issuer.stop()
    }

    @Test func withoutTheStreamItPollsAndStillRefusesWithinASecond() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        issuer.answer("/v1/revocations/stream", with: .status(.serviceUnavailable))  // a proxy that does not pass event streams
        let api = IssuerAPI(issuer: issuer)
        _ = try await issuer.signUp("ada@example.com")
        try await withVerifier(issuer) { verifier in
            let (token, _) = try await api.passwordGrant("ada@example.com")
            #expect(await verifier.accepts(token))
            try await Task.sleep(for: .milliseconds(300))
            #expect(try await api.send("DELETE", "/v1/sessions", headers: ["Authorization": "Bearer \(token)"]).status == 204)
            let elapsed = try await eventually("the token is refused") { await verifier.rejection(token) == .revoked }
            #expect(elapsed < .seconds(1))
            #expect(issuer.requestCount("/v1/revocations") > 1, "it polled")
        }
        await issuer.stop()
    }

    @Test func afterADisconnectItResumesFromItsCursor() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let ada = try await issuer.signUp("ada@example.com")
        let first = try await issuer.tokens(for: try await issuer.signUp("bob@example.com")).accessToken
        let token = try await issuer.tokens(for: ada).accessToken
        try await withVerifier(
            issuer,
            configure: {
                $0.streamRetryDelay = .milliseconds(200)
                $0.stalenessBound = .seconds(30)
            }
        ) { verifier in
            // One entry before the disconnect, so the cursor is past the start.
            try await issuer.services.accounts.signOutEverywhere(
                accountID: try #require(try await issuer.services.store.account(email: "bob@example.com")).id
            )
            try await eventually("the first revocation arrives") { await verifier.rejection(first) == .revoked }
            #expect(await verifier.accepts(token))
            await issuer.stop()
            let streamsBefore = issuer.requestCount("/v1/revocations/stream")
            // Revoked while the verifier cannot hear: it learns on reconnecting.
            try await issuer.services.accounts.signOutEverywhere(accountID: ada.id)
            #expect(await verifier.accepts(token))
            try await issuer.start()
            try await eventually("the missed revocation arrives") { await verifier.rejection(token) == .revoked }
            try await eventually("the stream reopens") { issuer.requestCount("/v1/revocations/stream") > streamsBefore }
            let resumed = issuer.requests.filter { $0.path == "/v1/revocations/stream" }.last
            #expect(resumed?.lastEventID.flatMap(Int64.init).map { $0 > 0 } == true, "the stream resumed after the last entry seen")
        }
        await issuer.stop()
    }

    @Test func withTheIssuerGoneTokensWorkUntilTheStalenessBoundThenFailClosed() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "verifier", factory: { _ in logs })
        // The bound exceeds the issuer's 5 s keep-alive, so the feed is current when the issuer stops
        // (the last comment came less than 5 s before) and the bound is what decides.
        let bound = Duration.seconds(8)
        try await withVerifier(issuer, logger: logger, configure: { $0.stalenessBound = bound }) { verifier in
            #expect(await verifier.accepts(token))
            let clock = ContinuousClock()
            let stopped = clock.now
            await issuer.stop()
            // Within the bound, the token keeps working.
            #expect(await verifier.accepts(token))
            try await Task.sleep(for: .seconds(2))
            #expect(await verifier.accepts(token))
            #expect(!verifier.status.isStale)
            // After it, the token (issued before the silence) is refused, and the logs say why.
            try await eventually("the verifier fails closed", timeout: .seconds(15)) { await verifier.rejection(token) == .revocationUnknown }
            // Silence counts from the last byte heard, at most one keep-alive before the stop.
            #expect(clock.now - stopped >= bound - .seconds(5))
            #expect(clock.now - stopped < bound + .seconds(2))
            #expect(verifier.status.isStale)
            try await eventually("the staleness is logged") {
                logs.entries.contains { $0.level == .error && "\($0.message)".contains("revocation feed stale") }
            }
        }
    }

    @Test func aStreamThatHangsGoesStaleAfterTheKeepAliveAllowanceAndTheBound() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        try await withVerifier(
            issuer,
            configure: {
                $0.stalenessBound = .seconds(1)
                $0.streamRetryDelay = .milliseconds(200)
            }
        ) { verifier in
            // The issuer's store hangs: the stream stays open but says nothing, and polls fail.
            issuer.answer("/v1/revocations/stream", with: .silentStream)
            issuer.answer("/v1/revocations", with: .status(.serviceUnavailable))
            let streams = issuer.requestCount("/v1/revocations/stream")
            // Drop the live stream so the verifier reconnects to the silent one.
            await issuer.stop()
            try await issuer.start()
            try await eventually("the silent stream is open") { issuer.requestCount("/v1/revocations/stream") > streams && !verifier.status.isStale }
            let clock = ContinuousClock()
            let opened = clock.now
            #expect(await verifier.accepts(token))
            try await eventually("the verifier fails closed", timeout: .seconds(20)) { await verifier.rejection(token) == .revocationUnknown }
            // Silence on an open stream counts once it outlasts one keep-alive interval (6 s).
            let elapsed = clock.now - opened
            #expect(elapsed >= RevocationFeed.keepAliveAllowance)
            #expect(elapsed < RevocationFeed.keepAliveAllowance + .seconds(1) + .seconds(3))
            #expect(verifier.status.isStale)
        }
        await issuer.stop()
    }

    @Test func failOpenKeepsAcceptingWhileStale() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        try await withVerifier(
            issuer,
            configure: {
                $0.stalenessBound = .seconds(1)
                $0.whenStale = .failOpen
            }
        ) { verifier in
            #expect(await verifier.accepts(token))
            await issuer.stop()
            try await eventually("the feed is stale") { verifier.status.isStale }
            try await Task.sleep(for: .seconds(1))
            #expect(await verifier.accepts(token))
        }
    }

    @Test func withoutCredentialsRevocationsAreNotFollowedAndNothingGoesStale() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        let logs = InMemoryLogHandler()
        try await withVerifier(issuer, followRevocations: false, logger: Logger(label: "verifier", factory: { _ in logs })) { verifier in
            #expect(!verifier.status.followsRevocations)
            #expect(await verifier.accepts(token))
            #expect(logs.entries.contains { $0.level == .warning && "\($0.message)".contains("revocations are not followed") })
        }
        await issuer.stop()
    }
}
