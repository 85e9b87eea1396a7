import Foundation
import PortcullisTokens
import Testing

@testable import PortcullisVerifier

/// The verifier's parts on their own: the event-stream parser, `Cache-Control`, the revocation list
/// and the verified-token cache.
@Suite("Verifier components")
struct ComponentTests {
    @Test func parsesEventsSplitAcrossChunksAndLineEndings() throws {
        var parser = ServerSentEventParser()
        let stream =
            "retry: 1000\r\n\r\n: keep-alive\n\nid: 7\nevent: revocation\ndata: {\"a\":\ndata: 1}\n\nid: 8\r\nevent: revocation\r\ndata: x\r\n\r\n"
        var events: [ServerSentEventParser.Event] = []
        for byte in Array(stream.utf8) { events += try parser.consume([byte]) }
        #expect(
            events == [
                .init(id: "7", type: "revocation", data: "{\"a\":\n1}"),
                .init(id: "8", type: "revocation", data: "x"),
            ]
        )
    }

    @Test func refusesAnEndlessLine() {
        var parser = ServerSentEventParser()
        #expect(throws: ServerSentEventParser.Failure.self) {
            _ = try parser.consume(Array(repeating: UInt8(ascii: "x"), count: ServerSentEventParser.maximumLineLength + 1))
        }
    }

    @Test(
        arguments: [
            ("public, max-age=60", Duration.seconds(60)),
            ("max-age=5", .seconds(10)),
            ("max-age=999999", .seconds(3600)),
            ("no-store", .seconds(10)),
            ("no-cache, max-age=60", .seconds(10)),
            ("max-age=abc", .seconds(10)),
            (nil, .seconds(10)),
        ] as [(String?, Duration)]
    )
    func keySetLifetimeFollowsCacheControlWithinBounds(header: String?, expected: Duration) {
        #expect(CacheControl(header).lifetime(within: .seconds(10) ... .seconds(3600)) == expected)
    }

    static func identity(
        subject: String = "user",
        session: String = "session",
        token: String = "token",
        issuedAt: Int64,
        lifetime: Int64 = 300
    ) -> VerifiedIdentity {
        .init(
            claims: .init(
                issuer: "https://issuer",
                subject: subject,
                audience: ["api"],
                expiresAt: issuedAt + lifetime,
                issuedAt: issuedAt,
                tokenID: token,
                sessionID: session,
                clientID: "portcullis",
                roles: []
            ),
            scopes: []
        )
    }

    @Test func revocationListRefusesBySessionTokenAndAccountIssuedBefore() {
        var list = RevocationList()
        list.apply(.init(kind: .session, id: "s1", revokedAt: 1000, expiresAt: 1400))
        list.apply(.init(kind: .token, id: "t1", revokedAt: 1000, expiresAt: 1400))
        list.apply(.init(kind: .user, id: "u1", revokedAt: 1000, expiresAt: 1400))
        #expect(list.revokes(Self.identity(session: "s1", issuedAt: 900)))
        #expect(list.revokes(Self.identity(token: "t1", issuedAt: 900)))
        #expect(list.revokes(Self.identity(subject: "u1", issuedAt: 1000)))
        #expect(!list.revokes(Self.identity(subject: "u1", issuedAt: 1001)), "a token issued after sign-out-everywhere is valid")
        #expect(!list.revokes(Self.identity(issuedAt: 900)))
        list.prune(now: 1401)
        #expect(list.count == 0)
    }

    @Test func aTokenSpelledWithOtherCharactersNeverHitsTheCache() {
        let cache = VerifiedTokenCache(capacity: 10)
        let now = Date(timeIntervalSince1970: 10_000)
        cache.insert("eyJ.abcK", identity: Self.identity(issuedAt: 10_000), keyID: "k")
        #expect(cache.entry(for: "eyJ.abcK", now: now) != nil)
        // U+212A KELVIN SIGN is canonically equivalent to "K": equal as Swift strings, not as bytes.
        #expect("eyJ.abc\u{212A}" == "eyJ.abcK")
        #expect(cache.entry(for: "eyJ.abc\u{212A}", now: now) == nil)
    }

    @Test func tokenCacheIsBoundedKeepsWhatIsUsedAndDropsExpiredEntries() {
        let cache = VerifiedTokenCache(capacity: 3)
        let now = Date(timeIntervalSince1970: 10_000)
        cache.insert("expired-soon", identity: Self.identity(issuedAt: 9_000, lifetime: 1_001), keyID: "k")
        cache.insert("t0", identity: Self.identity(issuedAt: 10_000), keyID: "k")
        cache.insert("t1", identity: Self.identity(issuedAt: 10_000), keyID: "k")
        #expect(cache.count == 3)
        let later = now.addingTimeInterval(2)
        #expect(cache.entry(for: "expired-soon", now: later) == nil, "an entry dies at its token's exp")
        #expect(cache.count == 2)
        cache.insert("t2", identity: Self.identity(issuedAt: 10_000), keyID: "k")
        #expect(cache.count == 3, "the expired entry's place was reused")
        #expect(cache.entry(for: "t0", now: later) != nil)
        cache.insert("t3", identity: Self.identity(issuedAt: 10_000), keyID: "k")
        #expect(cache.count == 3)
        #expect(cache.entry(for: "t0", now: later) != nil, "a token presented since the last sweep stays")
        #expect(cache.entry(for: "t1", now: later) == nil, "one not presented made room")
        #expect(cache.entry(for: "t3", now: later) != nil)
        for index in 0..<100 { cache.insert("u\(index)", identity: Self.identity(issuedAt: 10_000), keyID: "k") }
        #expect(cache.count == 3)
    }
}
