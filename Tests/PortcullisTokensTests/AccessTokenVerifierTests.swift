import Crypto
import Foundation
import PortcullisTokens
import Testing

/// docs/security.md#access-token-verification: every forged or malformed variant is refused, with a typed reason and no crash.
@Suite("Access token verification")
struct AccessTokenVerifierTests {
    static let issuer = "https://auth.example"
    static let verifier = AccessTokenVerifier(policy: .init(issuer: issuer, audiences: ["api"], maximumLifetime: .seconds(3600)))
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    static func claims(lifetime: Int64 = 300, audience: [String] = ["api"]) -> AccessTokenClaims {
        AccessTokenClaims(
            issuer: issuer,
            subject: "account-1",
            audience: audience,
            expiresAt: 1_800_000_000 + lifetime,
            issuedAt: 1_800_000_000,
            tokenID: "jti-1",
            sessionID: "sid-1",
            clientID: "portcullis",
            roles: ["admin"]
        )
    }

    /// A key ring of one key per algorithm.
    static func ring() async throws -> (keys: [SigningAlgorithm: SigningKey], verification: [String: VerificationKey]) {
        var keys: [SigningAlgorithm: SigningKey] = [:]
        var verification: [String: VerificationKey] = [:]
        for algorithm in SigningAlgorithm.allCases {
            let key = try SigningKey.generate(algorithm)
            keys[algorithm] = key
            verification[key.kid] = try await VerificationKey(key)
        }
        return (keys, verification)
    }

    /// A token with exactly this header and payload JSON, signed with the Ed25519 `key`.
    static func forge(header: String, payload: String, eddsa key: SigningKey) throws -> String {
        let input = Base64.encode(Array(header.utf8)) + "." + Base64.encode(Array(payload.utf8))
        let signature = try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKeyBytes).signature(for: Array(input.utf8))
        return input + "." + Base64.encode(Array(signature))
    }

    static func payload(_ overrides: [String: String] = [:], removing: Set<String> = []) -> String {
        var fields: [String: String] = [
            "iss": "\"\(issuer)\"", "sub": "\"account-1\"", "aud": "\"api\"", "exp": "1800000300", "iat": "1800000000",
            "jti": "\"jti-1\"", "sid": "\"sid-1\"", "client_id": "\"portcullis\"",
        ]
        fields.merge(overrides) { $1 }
        return "{"
            + fields.filter { !removing.contains($0.key) }.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
    }

    static func header(_ kid: String, alg: String = "EdDSA", extra: String = "") -> String {
        "{\"alg\":\"\(alg)\",\"typ\":\"at+jwt\",\"kid\":\"\(kid)\"\(extra)}"
    }

    func expectRejection(
        _ token: String,
        _ expected: TokenRejection,
        keys: [String: VerificationKey],
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await Self.verifier.verify(token, keys: keys, now: Self.now)
            Issue.record("accepted a token that should be refused with \(expected)", sourceLocation: sourceLocation)
        } catch {
            #expect(error == expected, sourceLocation: sourceLocation)
        }
    }

    @Test func validTokensOfEveryAlgorithmVerify() async throws {
        let ring = try await Self.ring()
        for (algorithm, key) in ring.keys {
            let token = try await AccessTokenSigner.sign(Self.claims(), with: key)
            let claims = try await Self.verifier.verify(token, keys: ring.verification, now: Self.now)
            #expect(claims == Self.claims(), "\(algorithm)")
            let header = try #require(Base64.decode(token.split(separator: ".")[0]))
            let json = try #require(try JSONSerialization.jsonObject(with: Data(header)) as? [String: String])
            #expect(json == ["alg": algorithm.rawValue, "typ": "at+jwt", "kid": key.kid])
        }
    }

    @Test(arguments: ["none", "None", "NONE", "nOnE"])
    func algNoneIsRefusedInEverySpelling(alg: String) async throws {
        let ring = try await Self.ring()
        let kid = try #require(ring.keys[.eddsa]).kid
        let unsigned = Base64.encode(Array(Self.header(kid, alg: alg).utf8)) + "." + Base64.encode(Array(Self.payload().utf8))
        await expectRejection(unsigned + ".", .malformed, keys: ring.verification)
        await expectRejection(unsigned + ".AAAA", .algorithm, keys: ring.verification)
    }

    @Test(arguments: [SigningAlgorithm.eddsa, .es256, .rs256])
    func hmacSignedWithThePublicKeyIsRefused(algorithm: SigningAlgorithm) async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[algorithm])
        let publicJWK = try #require(try key.publicJWK)
        let publicBytes = Array((publicJWK["x"] ?? publicJWK["n"] ?? "").utf8)
        let input = Base64.encode(Array(Self.header(key.kid, alg: "HS256").utf8)) + "." + Base64.encode(Array(Self.payload().utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicBytes))
        await expectRejection(input + "." + Base64.encode(Array(mac)), .algorithm, keys: ring.verification)
    }

    @Test func algorithmOtherThanTheKeysIsRefused() async throws {
        let ring = try await Self.ring()
        let eddsa = try #require(ring.keys[.eddsa])
        let es256Token = try await AccessTokenSigner.sign(Self.claims(), with: try #require(ring.keys[.es256]))
        // An ES256 token relabelled with the EdDSA key's kid.
        let parts = es256Token.split(separator: ".")
        let relabelled = Base64.encode(Array(Self.header(eddsa.kid, alg: "ES256").utf8)) + "." + parts[1] + "." + parts[2]
        await expectRejection(relabelled, .algorithm, keys: ring.verification)
    }

    @Test(arguments: [
        ",\"jwk\":{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}",
        ",\"jku\":\"http://127.0.0.1:9/keys\"",
        ",\"x5u\":\"http://127.0.0.1:9/cert\"",
        ",\"x5c\":[\"MIIB\"]",
    ])
    func keysCarriedInTheTokenAreRefused(extra: String) async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        await expectRejection(
            try Self.forge(header: Self.header(key.kid, extra: extra), payload: Self.payload(), eddsa: key),
            .forbiddenHeader,
            keys: ring.verification
        )
    }

    @Test func nothingIsFetchedFromAURLInTheToken() async throws {
        let listener = try LoopbackListener()
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        for field in ["jku", "x5u"] {
            let token = try Self.forge(
                header: Self.header(key.kid, extra: ",\"\(field)\":\"http://127.0.0.1:\(listener.port)/keys\""),
                payload: Self.payload(),
                eddsa: key
            )
            await expectRejection(token, .forbiddenHeader, keys: ring.verification)
        }
        #expect(listener.connectionsAttempted == 0)
    }

    @Test func unknownAndMissingKidAreRefusedWithoutFallback() async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        await expectRejection(
            try Self.forge(header: Self.header("no-such-kid"), payload: Self.payload(), eddsa: key),
            .unknownKey,
            keys: ring.verification
        )
        await expectRejection(
            try Self.forge(header: "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}", payload: Self.payload(), eddsa: key),
            .unknownKey,
            keys: ring.verification
        )
        // A single-key ring still does not fall back.
        let single = [key.kid: try #require(ring.verification[key.kid])]
        await expectRejection(
            try Self.forge(header: "{\"alg\":\"EdDSA\",\"typ\":\"at+jwt\"}", payload: Self.payload(), eddsa: key),
            .unknownKey,
            keys: single
        )
    }

    @Test(arguments: [
        "{\"alg\":\"EdDSA\",\"typ\":\"JWT\",\"kid\":\"KID\"}", "{\"alg\":\"EdDSA\",\"kid\":\"KID\"}",
        "{\"alg\":\"EdDSA\",\"typ\":\"rt+jwt\",\"kid\":\"KID\"}",
    ])
    func wrongTypIsRefused(header: String) async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        await expectRejection(
            try Self.forge(header: header.replacingOccurrences(of: "KID", with: key.kid), payload: Self.payload(), eddsa: key),
            .type,
            keys: ring.verification
        )
    }

    @Test func unknownCritIsRefused() async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        await expectRejection(
            try Self.forge(header: Self.header(key.kid, extra: ",\"crit\":[\"exp\"]"), payload: Self.payload(), eddsa: key),
            .critical,
            keys: ring.verification
        )
    }

    @Test(arguments: [
        (["iss": "\"https://evil.example\""], TokenRejection.issuer),
        (["iss": "\"https://auth.example/\""], .issuer),
        (["aud": "\"other-api\""], .audience),
        (["aud": "[]"], .audience),
        (["aud": "[\"other\",\"another\"]"], .audience),
        (["aud": "42"], .audience),
        (["exp": "1799999900"], .expired),
        (["exp": "1900000000"], .lifetime),
        (["nbf": "1800000900"], .notYetValid),
        (["iat": "1800000900", "exp": "1800001000"], .notYetValid),
        (["exp": "\"1800000300\""], .claims),
        (["sub": "\"\""], .claims),
        (["roles": "\"admin\""], .claims),
    ])
    func badClaimsAreRefused(overrides: [String: String], expected: TokenRejection) async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        await expectRejection(
            try Self.forge(header: Self.header(key.kid), payload: Self.payload(overrides), eddsa: key),
            expected,
            keys: ring.verification
        )
    }

    @Test(arguments: [["aud"], ["exp"], ["iat"], ["sub"], ["jti"], ["sid"], ["iss"]])
    func missingClaimsAreRefused(missing: Set<String>) async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        do {
            _ = try await Self.verifier.verify(
                try Self.forge(header: Self.header(key.kid), payload: Self.payload(removing: missing), eddsa: key),
                keys: ring.verification,
                now: Self.now
            )
            Issue.record("accepted a token without \(missing)")
        } catch {
            let rejection = try #require(error as? TokenRejection)
            #expect([TokenRejection.claims, .audience, .issuer].contains(rejection))
        }
    }

    @Test func anAudienceArrayContainingUsIsAccepted() async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        let token = try Self.forge(header: Self.header(key.kid), payload: Self.payload(["aud": "[\"other\",\"api\"]"]), eddsa: key)
        #expect(try await Self.verifier.verify(token, keys: ring.verification, now: Self.now).audience == ["other", "api"])
    }

    @Test func duplicateJSONMembersAreRefused() async throws {
        let ring = try await Self.ring()
        let key = try #require(ring.keys[.eddsa])
        let duplicateHeader = "{\"alg\":\"EdDSA\",\"alg\":\"none\",\"typ\":\"at+jwt\",\"kid\":\"\(key.kid)\"}"
        await expectRejection(try Self.forge(header: duplicateHeader, payload: Self.payload(), eddsa: key), .malformed, keys: ring.verification)
        let duplicatePayload = Self.payload().replacingOccurrences(of: "\"sub\":\"account-1\"", with: "\"sub\":\"account-1\",\"sub\":\"admin\"")
        await expectRejection(
            try Self.forge(header: Self.header(key.kid), payload: duplicatePayload, eddsa: key),
            .malformed,
            keys: ring.verification
        )
    }

    @Test func oversizedTokensAreRefusedBeforeParsing() async throws {
        let ring = try await Self.ring()
        await expectRejection(String(repeating: "a", count: 8 * 1024 + 1), .oversized, keys: ring.verification)
        let key = try #require(ring.keys[.eddsa])
        let padded = try Self.forge(
            header: Self.header(key.kid),
            payload: Self.payload(["pad": "\"" + String(repeating: "x", count: 7000) + "\""]),
            eddsa: key
        )
        await expectRejection(padded, .oversized, keys: ring.verification)
    }

    @Test(arguments: [
        "", ".", "..", "a.b", "a.b.c.d", "abc", "eyJ.eyJ.", "+++.+++.+++", "eyJhbGciOiJFZERTQSJ9==.e30.AAAA",
        "WzFd.WzFd.AAAA",  // arrays, not objects
        "Ig.Ig.AAAA",  // a JSON string
        "_w.e30.AAAA",  // not UTF-8
        "opaque-refresh-token-value-0123456789abcdefghijk",  // a refresh token presented as an access token
    ])
    func malformedTokensAreRefused(token: String) async throws {
        let ring = try await Self.ring()
        await expectRejection(token, .malformed, keys: ring.verification)
    }

    @Test func aTamperedPayloadFailsTheSignature() async throws {
        let ring = try await Self.ring()
        for key in ring.keys.values {
            let token = try await AccessTokenSigner.sign(Self.claims(), with: key)
            let parts = token.split(separator: ".")
            let forged = Base64.encode(Array(Self.payload(["sub": "\"account-2\""]).utf8))
            await expectRejection("\(parts[0]).\(forged).\(parts[2])", .signature, keys: ring.verification)
        }
    }

    @Test func keysSurviveSerialization() async throws {
        for algorithm in SigningAlgorithm.allCases {
            let key = try SigningKey.generate(algorithm)
            let restored = try SigningKey(kid: key.kid, algorithm: algorithm, privateKeyBytes: key.privateKeyBytes)
            let token = try await AccessTokenSigner.sign(Self.claims(), with: key)
            _ = try await Self.verifier.verify(token, keys: [key.kid: try await VerificationKey(restored)], now: Self.now)
            #expect(try key.publicJWK == restored.publicJWK)
            #expect((try key.publicJWK == nil) == (algorithm == .hs256))
            #expect(!"\(key)".contains(Base64.encode(key.privateKeyBytes)))
        }
    }
}
