import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import Testing

/// SECURITY.md §1–4 end to end: every forged variant, signed with the server's own key where a
/// signature is needed, is answered 401 with `WWW-Authenticate: Bearer error="invalid_token"`,
/// never a 500.
@Suite("Forged tokens over HTTP")
struct ForgedTokenTests {
    enum Variant: String, CaseIterable, CustomTestStringConvertible, Sendable {
        case algNone, algNoneUppercase, hs256WithPublicKey, embeddedJWK, jku, x5u, x5c, unknownKid, missingKid, wrongTyp
        case wrongIssuer, missingAudience, foreignAudience, emptyAudience, expired, farFutureExpiry, futureNotBefore
        case missingSubject, missingTokenID, missingSessionID, unknownCrit, duplicateMember, oversized, twoSegments, badBase64
        case notJSON

        var testDescription: String { rawValue }
    }

    /// The token `variant` describes; `nil` forges a token with nothing wrong.
    static func forge(_ variant: Variant?, key: SigningKey, issuer: String, subject: String, now: Int64) throws -> String {
        var header: [String: String] = ["alg": "\"EdDSA\"", "typ": "\"at+jwt\"", "kid": "\"\(key.kid)\""]
        var claims: [String: String] = [
            "iss": "\"\(issuer)\"", "sub": "\"\(subject)\"", "aud": "\"api\"", "exp": "\(now + 300)", "iat": "\(now)",
            "jti": "\"forged\"", "sid": "\"forged\"", "client_id": "\"portcullis\"",
        ]
        var duplicate = false
        switch variant {
        case .algNone: header["alg"] = "\"none\""
        case .algNoneUppercase: header["alg"] = "\"NONE\""
        case .hs256WithPublicKey: header["alg"] = "\"HS256\""
        case .embeddedJWK: header["jwk"] = "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AAAA\"}"
        case .jku: header["jku"] = "\"http://127.0.0.1:9/jwks\""
        case .x5u: header["x5u"] = "\"http://127.0.0.1:9/cert\""
        case .x5c: header["x5c"] = "[\"MIIB\"]"
        case .unknownKid: header["kid"] = "\"not-ours\""
        case .missingKid: header["kid"] = nil
        case .wrongTyp: header["typ"] = "\"JWT\""
        case .wrongIssuer: claims["iss"] = "\"https://evil.example\""
        case .missingAudience: claims["aud"] = nil
        case .foreignAudience: claims["aud"] = "\"billing\""
        case .emptyAudience: claims["aud"] = "[]"
        case .expired: claims["exp"] = "\(now - 3600)"; claims["iat"] = "\(now - 3900)"
        case .farFutureExpiry: claims["exp"] = "\(now + 86400 * 365)"
        case .futureNotBefore: claims["nbf"] = "\(now + 3600)"
        case .missingSubject: claims["sub"] = nil
        case .missingTokenID: claims["jti"] = nil
        case .missingSessionID: claims["sid"] = nil
        case .unknownCrit: header["crit"] = "[\"exp\"]"
        case .duplicateMember: duplicate = true
        case .oversized: claims["pad"] = "\"" + String(repeating: "x", count: 9000) + "\""
        case .twoSegments, .badBase64, .notJSON, nil: break
        }
        func json(_ fields: [String: String]) -> String {
            "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",") + "}"
        }
        var payload = json(claims)
        if duplicate { payload = payload.replacingOccurrences(of: "\"sub\":", with: "\"sub\":\"someone-else\",\"sub\":") }
        let input = Base64.encode(Array(json(header).utf8)) + "." + Base64.encode(Array(payload.utf8))
        let signature: [UInt8]
        if variant == .hs256WithPublicKey {
            let publicKey = Array((try key.publicJWK?["x"] ?? "").utf8)
            signature = Array(HMAC<SHA256>.authenticationCode(for: Array(input.utf8), using: SymmetricKey(data: publicKey)))
        } else if variant == .algNone || variant == .algNoneUppercase {
            signature = [0]
        } else {
            signature = Array(try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKeyBytes).signature(for: Array(input.utf8)))
        }
        switch variant {
        case .twoSegments: return input
        case .badBase64: return input.replacingOccurrences(of: "e", with: "+") + "." + Base64.encode(signature)
        case .notJSON: return Base64.encode(Array("[1]".utf8)) + "." + Base64.encode(Array("\"x\"".utf8)) + "." + Base64.encode(signature)
        default: return input + "." + Base64.encode(signature)
        }
    }

    @Test(arguments: Variant.allCases)
    func isRefusedWith401(variant: Variant) async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            // A genuine token works, so the refusals below are about the forgery alone.
            let genuine = try #require(try await client.passwordGrant("ada@example.com").json["access_token"] as? String)
            #expect(try await client.get("/v1/me", headers: bearer(genuine)).status == .ok)
            let key = try await app.services.tokens.keyRing.signingKey()
            let forged = try Self.forge(variant, key: key, issuer: app.services.tokens.policy.issuer, subject: account.id, now: app.clock.now.epochSeconds)
            let response = try await client.get("/v1/me", headers: bearer(forged))
            if variant == .oversized {
                #expect(response.status.code == 431)  // the Authorization header is over 8 KiB: refused before parsing
            } else {
                #expect(response.status == .unauthorized)
                #expect(response.headers[.wwwAuthenticate] == "Bearer error=\"invalid_token\"")
            }
            #expect(!response.text.contains(forged))
        }
    }

    @Test func theForgeryItselfIsSoundWhenNothingIsWrong() async throws {
        // Guards the test above: the same forging code with no defect is accepted, so each refusal
        // there is caused by its variant alone.
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            let account = try #require(try await app.store.account(email: "ada@example.com"))
            _ = try await client.passwordGrant("ada@example.com")
            let key = try await app.services.tokens.keyRing.signingKey()
            let token = try Self.forge(nil, key: key, issuer: app.services.tokens.policy.issuer, subject: account.id, now: app.clock.now.epochSeconds)
            #expect(try await client.get("/v1/me", headers: bearer(token)).status == .ok)
        }
    }
}
