import Crypto
import Foundation
public import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#endif

/// Forged access tokens, one defect each, for tests of every verifier (the server's and
/// `PortcullisVerifier`) against the rules of docs/security.md#access-token-verification. Each is signed with the real key where a
/// signature is needed, so the defect alone is what a verifier must catch.
public enum TokenForgery {
    /// The defects.
    public enum Variant: String, CaseIterable, CustomStringConvertible, Sendable {
        case algNone, algNoneUppercase, hs256WithPublicKey, embeddedJWK, jku, x5u, x5c, unknownKid, missingKid, wrongTyp
        case wrongIssuer, missingAudience, foreignAudience, emptyAudience, expired, farFutureExpiry, futureNotBefore
        case missingSubject, missingTokenID, missingSessionID, unknownCrit, duplicateMember, oversized, twoSegments, badBase64
        case notJSON

        public var description: String { rawValue }
    }

    /// The token `variant` describes, with audience `api`; `nil` forges a token with nothing wrong.
    /// A signature, where one is needed, is made with `key` (Ed25519); `keyID` replaces its `kid`
    /// in the header.
    public static func forge(_ variant: Variant?, key: SigningKey, issuer: String, subject: String, now: Int64, keyID: String? = nil) throws -> String
    {
        var header: [String: String] = ["alg": "\"EdDSA\"", "typ": "\"at+jwt\"", "kid": "\"\(keyID ?? key.kid)\""]
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
        case .expired:
            claims["exp"] = "\(now - 3600)"
            claims["iat"] = "\(now - 3900)"
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
}
