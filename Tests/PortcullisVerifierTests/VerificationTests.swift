import Foundation
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
@testable import PortcullisVerifier
import Testing

/// The verifier against a real Portcullis server on loopback: genuine tokens, forgeries, key
/// rotation, and a flood of unknown `kid`s.
@Suite("Verifier: keys and forgeries")
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
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let before = try await issuer.tokens(for: account).accessToken
        try await withVerifier(issuer, configure: { $0.unknownKeyRefetchInterval = .milliseconds(300) }) { verifier in
            #expect(await verifier.accepts(before))
            for algorithm in [SigningAlgorithm.es256, .eddsa] {
                // An emergency rotation: the new key signs at once, so the first token naming it
                // makes the verifier fetch the key set (once the rate limit allows).
                try await Task.sleep(for: .milliseconds(400))
                _ = try await issuer.services.tokens.keyRing.rotate(algorithm: algorithm, immediately: true)
                let after = try await issuer.tokens(for: account).accessToken
                let identity = try await verifier.verify(after)
                #expect(identity.subject == account.id)
            }
            // Tokens signed by the retired key stay valid while they live.
            #expect(await verifier.accepts(before))
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
                    for _ in 0 ..< 20 {
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
        try await withVerifier(issuer, followRevocations: false, configure: { $0.unknownKeyRefetchInterval = .milliseconds(100) }) { verifier in
            #expect(await verifier.accepts(token))
            await issuer.stop()
            // A refetch attempt (unknown kid) fails; the held key set is kept.
            let stranger = try TokenForgery.forge(nil, key: try SigningKey.generate(.eddsa), issuer: issuer.url, subject: account.id, now: Int64(Date().timeIntervalSince1970))
            #expect(await verifier.rejection(stranger) == .unknownKey)
            let fresh = try await issuer.tokens(for: account).accessToken  // signed by the same key, never seen by the verifier
            #expect(await verifier.accepts(fresh))
        }
    }

    @Test func aTokenSeenBeforeIsServedFromTheCache() async throws {
        let issuer = try LiveIssuer()
        try await issuer.start()
        let account = try await issuer.signUp("ada@example.com")
        let token = try await issuer.tokens(for: account).accessToken
        try await withVerifier(issuer) { verifier in
            let first = try await verifier.verify(token)
            let requestsBefore = issuer.verifierRequestCount
            for _ in 0 ..< 100 { #expect(try await verifier.verify(token) == first) }
            #expect(issuer.verifierRequestCount == requestsBefore)
            #expect(verifier.cachedTokenCount == 1)
        }
        await issuer.stop()
    }
}
