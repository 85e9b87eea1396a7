import Foundation
import PortcullisTokens
import Testing

/// Verification keys from a JWKS (the offline verifier's side): every published algorithm loads,
/// and each key that would let a token choose its own rules is refused alone.
@Suite("Key sets")
struct JWKSTests {
    static func document(_ keys: [[String: String]]) throws -> [UInt8] {
        Array(try JSONSerialization.data(withJSONObject: ["keys": keys]))
    }

    @Test func publishedKeysVerifyTheirTokens() async throws {
        let verifier = AccessTokenVerifier(policy: .init(issuer: AccessTokenVerifierTests.issuer, audiences: ["api"]))
        for algorithm in [SigningAlgorithm.eddsa, .es256, .rs256] {
            let key = try SigningKey.generate(algorithm)
            let set = await VerificationKey.keySet(json: try Self.document([try #require(try key.publicJWK)]))
            #expect(set.refused.isEmpty)
            let token = try await AccessTokenSigner.sign(AccessTokenVerifierTests.claims(), with: key)
            _ = try await verifier.verify(token, keys: set.keys, now: AccessTokenVerifierTests.now)
        }
    }

    @Test func dangerousKeysAreRefusedOneByOne() async throws {
        let good = try #require(try SigningKey.generate(.eddsa).publicJWK)
        var noAlg = try #require(try SigningKey.generate(.eddsa).publicJWK)
        noAlg["alg"] = nil
        var hmac = try #require(try SigningKey.generate(.eddsa).publicJWK)
        hmac["alg"] = "HS256"
        var mismatch = try #require(try SigningKey.generate(.es256).publicJWK)
        mismatch["alg"] = "EdDSA"
        var encryption = try #require(try SigningKey.generate(.eddsa).publicJWK)
        encryption["use"] = "enc"
        var secret = try #require(try SigningKey.generate(.eddsa).publicJWK)
        secret["d"] = "AAAA"
        var unknown = try #require(try SigningKey.generate(.eddsa).publicJWK)
        unknown["alg"] = "PS512"
        let set = await VerificationKey.keySet(json: try Self.document([good, noAlg, hmac, mismatch, encryption, secret, unknown]))
        #expect(Array(set.keys.keys) == [good["kid"]!])
        #expect(set.refused[noAlg["kid"]!] == .missingAlgorithm)
        #expect(set.refused[hmac["kid"]!] == .unsupportedAlgorithm)
        #expect(set.refused[mismatch["kid"]!] == .algorithmMismatch)
        #expect(set.refused[encryption["kid"]!] == .notForSignatures)
        #expect(set.refused[secret["kid"]!] == .privateMaterial)
        #expect(set.refused[unknown["kid"]!] == .unsupportedAlgorithm)
    }

    @Test func duplicateKidsAndMalformedDocumentsAreRefused() async throws {
        let first = try #require(try SigningKey.generate(.eddsa).publicJWK)
        var second = try #require(try SigningKey.generate(.eddsa).publicJWK)
        second["kid"] = first["kid"]
        let duplicated = await VerificationKey.keySet(json: try Self.document([first, second]))
        #expect(duplicated.keys.isEmpty)
        #expect(duplicated.refused[first["kid"]!] == .duplicateKeyID)
        #expect(await VerificationKey.keySet(json: Array("{\"keys\": 1}".utf8)).keys.isEmpty)
        #expect(await VerificationKey.keySet(json: Array("not json".utf8)).keys.isEmpty)
    }
}
