import Foundation
import InMemoryLogging
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

@testable import PortcullisVerifier

/// The verifier against a real Portcullis server on loopback: genuine tokens, forgeries, key
/// rotation, and a flood of unknown `kid`s.
@Suite("Verifier: keys and forgeries", .timeLimit(.minutes(2)))
struct VerificationTests {
    @Test func acceptsAGenuineTokenAndExposesItsIdentity() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com", roles: ["admin"])
        let issued = try await issuer.tokens(for: account)
        try await withVerifier(issuer) { verifier in
            let identity = try await verifier.verify(issued.accessToken)
            #expect(identity.subject == account.id)
            #expect(identity.roles == ["admin"])
            #expect(identity.audiences == ["api"])
            #expect(!identity.sessionID.isEmpty && !identity.tokenID.isEmpty)
            #expect(identity.expiresAt.timeIntervalSince(identity.issuedAt) == 300)
        }
        await issuer.stop()
    }

    @Test(arguments: TokenForgery.Variant.allCases)
    func refusesEveryForgedVariant(variant: TokenForgery.Variant) async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let key = try await issuer.services.tokens.keyRing.signingKey()
        let now = Int64(Date().timeIntervalSince1970)
        try await withVerifier(issuer) { verifier in
            // The forging code with no defect yields a token the verifier accepts, so each refusal
            // below is caused by its variant alone.
            let sound = try TokenForgery.forge(nil, key: key, issuer: issuer.url, subject: account.id, now: now)
            #expect(await verifier.accepts(sound))
            let forged = try TokenForgery.forge(variant, key: key, issuer: issuer.url, subject: account.id, now: now)
            #expect(await !verifier.accepts(forged))
        }
        await issuer.stop()
    }

    @Test func picksUpAKeyRotationWithoutRestarting() async throws {
        let issuer = try LiveIssuer(configure: { $0.keyPublishAhead = .seconds(1) })
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let before = try await issuer.tokens(for: account).accessToken
        try await withVerifier(issuer, configure: { $0.unknownKeyRefetchInterval = .milliseconds(300) }) { verifier in
            #expect(await verifier.accepts(before))
            for algorithm in [SigningAlgorithm.es256, .eddsa] {
                // A scheduled rotation: the new key is published first and signs a second later.
                let rotated = try await issuer.services.tokens.keyRing.rotate(algorithm: algorithm)
                try await eventually("the new key signs") { try await issuer.services.tokens.keyRing.signingKey().kid == rotated.kid }
                let after = try await issuer.tokens(for: account).accessToken
                #expect(try await verifier.verify(after).subject == account.id)
            }
            // Tokens signed by a retired key stay valid while they live.
            #expect(await verifier.accepts(before))
        }
        await issuer.stop()
    }

    @Test func anEmergencyRotationEndsTheOldKeysTokensEvenWhenCached() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let before = try await issuer.tokens(for: account).accessToken
        try await withVerifier(issuer, configure: { $0.unknownKeyRefetchInterval = .milliseconds(300) }) { verifier in
            #expect(await verifier.accepts(before))
            #expect(await verifier.accepts(before), "now from the cache")
            try await Task.sleep(for: .milliseconds(400))
            // `keys rotate --now`, as after a key leak: the old key leaves the JWKS at once.
            _ = try await issuer.services.tokens.keyRing.rotate(immediately: true)
            let after = try await issuer.tokens(for: account).accessToken
            #expect(await verifier.accepts(after), "the first token naming the new key makes the verifier refetch")
            #expect(await verifier.rejection(before) == .unknownKey, "the withdrawn key's token is refused, cached or not")
        }
        await issuer.stop()
    }

    @Test func aFloodOfUnknownKeyIDsCostsAtMostOneFetchPerInterval() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let key = try await issuer.services.tokens.keyRing.signingKey()
        let interval = Duration.seconds(1)
        try await withVerifier(issuer, configure: { $0.unknownKeyRefetchInterval = interval }) { verifier in
            let fetchesBefore = issuer.requestCount("/.well-known/jwks.json")
            let clock = ContinuousClock()
            let start = clock.now
            var sent = 0
            // 2.5 s of forged tokens, each naming a fresh random kid, 20 at a time.
            while clock.now - start < .milliseconds(2500) {
                let now = Int64(Date().timeIntervalSince1970)
                let refusals = try await withThrowingTaskGroup(of: TokenRejection?.self) { group in
                    for _ in 0..<20 {
                        let token = try TokenForgery.forge(nil, key: key, issuer: issuer.url, subject: account.id, now: now, keyID: UUID().uuidString)
                        group.addTask { await verifier.rejection(token) }
                    }
                    return try await group.reduce(into: [TokenRejection?]()) { $0.append($1) }
                }
                #expect(refusals.allSatisfy { $0 == .unknownKey })
                sent += refusals.count
            }
            let elapsed = clock.now - start
            let fetches = issuer.requestCount("/.well-known/jwks.json") - fetchesBefore
            let allowed = Int(elapsed / interval) + 1
            #expect(sent > 200)
            #expect(fetches >= 1, "an unknown kid does cause a refetch")
            #expect(fetches <= allowed, "\(fetches) key-set fetches for \(sent) unknown-kid tokens in \(elapsed)")
        }
        await issuer.stop()
    }

    @Test func keepsTheLastGoodKeysWhenTheIssuerIsUnreachable() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        let logs = InMemoryLogHandler()
        let logger = Logger(label: "verifier", factory: { _ in logs })
        try await withVerifier(issuer, followRevocations: false, logger: logger, configure: { $0.unknownKeyRefetchInterval = .milliseconds(100) }) {
            verifier in
            #expect(await verifier.accepts(token))
            await issuer.stop()
            try await Task.sleep(for: .milliseconds(150))
            // A refetch (for an unknown kid) fails; the held key set is kept.
            let stranger = try TokenForgery.forge(
                nil,
                key: try SigningKey.generate(.eddsa),
                issuer: issuer.url,
                subject: account.id,
                now: Int64(Date().timeIntervalSince1970)
            )
            #expect(await verifier.rejection(stranger) == .unknownKey)
            #expect(logs.entries.contains { "\($0.message)".contains("key set fetch failed") }, "the refetch was tried")
            let fresh = try await issuer.tokens(for: account).accessToken  // signed by the same key, never seen by the verifier
            #expect(await verifier.accepts(fresh))
        }
    }

    @Test(arguments: [#"{"keys":[]}"#, #"<html>502 Bad Gateway</html>"#, #"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"x","alg":"HS256"}]}"#])
    func aKeySetWithoutUsableKeysDoesNotReplaceTheGoodOne(body: String) async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let key = try await issuer.services.tokens.keyRing.signingKey()
        try await withVerifier(issuer, followRevocations: false, configure: { $0.unknownKeyRefetchInterval = .milliseconds(100) }) { verifier in
            issuer.answer("/.well-known/jwks.json", with: .json(body))
            try await Task.sleep(for: .milliseconds(150))
            let fetches = issuer.requestCount("/.well-known/jwks.json")
            let stranger = try TokenForgery.forge(
                nil,
                key: key,
                issuer: issuer.url,
                subject: account.id,
                now: Int64(Date().timeIntervalSince1970),
                keyID: "stranger"
            )
            #expect(await verifier.rejection(stranger) == .unknownKey)
            #expect(issuer.requestCount("/.well-known/jwks.json") == fetches + 1, "the broken set was fetched")
            let fresh = try await issuer.tokens(for: account).accessToken
            #expect(await verifier.accepts(fresh), "and the good keys are still held")
        }
        await issuer.stop()
    }

    @Test func aTokenSeenBeforeIsServedFromTheCache() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        try await withVerifier(issuer) { verifier in
            let first = try await verifier.verify(token)
            let requestsBefore = issuer.verifierRequestCount
            for _ in 0..<100 { #expect(try await verifier.verify(token) == first) }
            #expect(issuer.verifierRequestCount == requestsBefore)
            #expect(verifier.cachedTokenCount == 1)
        }
        await issuer.stop()
    }
}
