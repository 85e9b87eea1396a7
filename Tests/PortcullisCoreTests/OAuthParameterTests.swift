import PortcullisCore
import Testing

/// PKCE and redirect URIs: the two checks that keep an intercepted authorization code useless
/// and an authorization response away from an attacker's address.
@Suite("OAuth parameters")
struct OAuthParameterTests {
    // RFC 7636, appendix B.
    let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"

    @Test func theRFCExampleVerifierProvesItsChallenge() throws {
        #expect(ProofKey(verifier: verifier).challenge == challenge)
        let key = try ProofKey(challenge: challenge, method: "S256")
        #expect(key.isProved(by: verifier))
    }

    @Test func onlyS256WithAWellFormedChallengeIsAccepted() {
        #expect(throws: ProofKey.Refusal.missingChallenge) { try ProofKey(challenge: nil, method: "S256") }
        #expect(throws: ProofKey.Refusal.missingChallenge) { try ProofKey(challenge: "", method: "S256") }
        #expect(throws: ProofKey.Refusal.unsupportedMethod) { try ProofKey(challenge: challenge, method: "plain") }
        #expect(throws: ProofKey.Refusal.unsupportedMethod) { try ProofKey(challenge: challenge, method: nil) }
        #expect(throws: ProofKey.Refusal.unsupportedMethod) { try ProofKey(challenge: challenge, method: "s256") }
        #expect(throws: ProofKey.Refusal.malformedChallenge) { try ProofKey(challenge: verifier + "A", method: "S256") }
        #expect(throws: ProofKey.Refusal.malformedChallenge) { try ProofKey(challenge: String(challenge.dropLast()), method: "S256") }
        #expect(throws: ProofKey.Refusal.malformedChallenge) {
            try ProofKey(challenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw+cM", method: "S256")
        }
    }

    @Test func aWrongOrMalformedVerifierFails() throws {
        let key = try ProofKey(challenge: challenge, method: "S256")
        #expect(!key.isProved(by: String(verifier.dropLast()) + "l"))
        #expect(!key.isProved(by: challenge), "the challenge is not its own verifier")
        #expect(!key.isProved(by: ""))
        let short = String(repeating: "a", count: 42)
        #expect(!ProofKey(verifier: short).isProved(by: short), "verifiers are 43 to 128 characters")
        let long = String(repeating: "a", count: 129)
        #expect(!ProofKey(verifier: long).isProved(by: long))
        let spaced = String(repeating: "a", count: 42) + " "
        #expect(!ProofKey(verifier: spaced).isProved(by: spaced), "only unreserved characters")
        let longest = String(repeating: "~", count: 128)
        #expect(ProofKey(verifier: longest).isProved(by: longest))
    }

    @Test func redirectURIsMatchExactly() throws {
        let uris = try RedirectURIs(["https://app.example.com/callback", "com.example.app:/oauth"])
        #expect(uris.allows("https://app.example.com/callback"))
        #expect(uris.allows("com.example.app:/oauth"))
        for attempt in [
            "https://app.example.com/callback/", "https://app.example.com/callback/../evil", "https://app.example.com/callbackx",
            "https://app.example.com/callback?next=https://evil.example", "https://app.example.com:8443/callback",
            "https://APP.example.com/callback", "https://app.example.com.evil.example/callback", "http://app.example.com/callback",
            "https://app.example.com/call", "https://app.example.com", "https://evil.example/callback", "com.example.app:/oauth2", "",
        ] {
            #expect(!uris.allows(attempt), "\(attempt)")
        }
    }

    @Test func aLoopbackRedirectMayNameAnyPortAndNothingElse() throws {
        let uris = try RedirectURIs(["http://127.0.0.1/callback", "http://[::1]:8080/cb"])
        #expect(uris.allows("http://127.0.0.1/callback"))
        #expect(uris.allows("http://127.0.0.1:51004/callback"))
        #expect(uris.allows("http://127.0.0.1:1/callback"))
        #expect(uris.allows("http://[::1]/cb"))
        #expect(uris.allows("http://[::1]:65535/cb"))
        for attempt in [
            "http://127.0.0.1:51004/callback2", "http://127.0.0.1:51004/", "http://127.0.0.1:0/callback", "http://127.0.0.1:65536/callback",
            "http://127.0.0.1:051004/callback", "http://127.0.0.1:/callback", "http://127.0.0.1:80x/callback",
            "http://127.0.0.1.evil.example/callback",
            "http://127.0.0.1@evil.example/callback", "https://127.0.0.1:51004/callback", "http://localhost:51004/callback",
            "http://127.0.0.2/callback",
            "http://[::1]:8080/cb/",
        ] {
            #expect(!uris.allows(attempt), "\(attempt)")
        }
    }

    @Test func aPortOfAnyOtherHostIsPartOfTheURI() throws {
        let uris = try RedirectURIs(["http://localhost:3000/callback", "https://app.example.com:8443/cb"])
        #expect(uris.allows("http://localhost:3000/callback"))
        #expect(!uris.allows("http://localhost:3001/callback"))
        #expect(!uris.allows("http://localhost/callback"))
        #expect(uris.allows("https://app.example.com:8443/cb"))
        #expect(!uris.allows("https://app.example.com:8444/cb"))
        #expect(!uris.allows("https://app.example.com/cb"))
    }

    @Test func unsafeRedirectURIsCannotBeRegistered() {
        #expect(throws: RedirectURIs.Refusal.insecure("http://app.example.com/callback")) { try RedirectURIs(["http://app.example.com/callback"]) }
        #expect(throws: RedirectURIs.Refusal.insecure("http://localhost.evil.example/cb")) { try RedirectURIs(["http://localhost.evil.example/cb"]) }
        #expect(throws: RedirectURIs.Refusal.fragment("https://app.example.com/cb#x")) { try RedirectURIs(["https://app.example.com/cb#x"]) }
        #expect(throws: RedirectURIs.Refusal.notAbsolute("/callback")) { try RedirectURIs(["/callback"]) }
        #expect(throws: RedirectURIs.Refusal.notAbsolute("1app:/cb")) { try RedirectURIs(["1app:/cb"]) }
        #expect(throws: RedirectURIs.Refusal.notAbsolute("https://")) { try RedirectURIs(["https://"]) }
        #expect(throws: RedirectURIs.Refusal.illegalCharacters("https://app.example.com/a b")) { try RedirectURIs(["https://app.example.com/a b"]) }
        #expect(throws: RedirectURIs.Refusal.illegalCharacters("https://app.example.com/é")) { try RedirectURIs(["https://app.example.com/é"]) }
        let long = "https://app.example.com/" + String(repeating: "a", count: 1977)
        #expect(throws: RedirectURIs.Refusal.notAbsolute(long)) { try RedirectURIs([long]) }
        #expect(throws: Never.self) { try RedirectURIs([String(long.dropLast())]) }
        #expect(throws: RedirectURIs.Refusal.notAbsolute("https:/app.example.com/cb")) { try RedirectURIs(["https:/app.example.com/cb"]) }
    }

    @Test func userinfoCannotHideTheRealHost() {
        for uri in [
            "http://localhost:@evil.example/cb", "http://localhost:80@evil.example/", "http://127.0.0.1@evil.example/cb",
            "https://app.example.com@evil.example/cb",
        ] {
            #expect(throws: (any Error).self, "\(uri)") { try RedirectURIs([uri]) }
        }
        #expect(throws: RedirectURIs.Refusal.userinfo("https://app.example.com@evil.example/cb")) {
            try RedirectURIs(["https://app.example.com@evil.example/cb"])
        }
        #expect(throws: Never.self) { try RedirectURIs(["http://localhost:3000/cb", "http://localhost", "https://app.example.com/a@b"]) }
    }

    @Test func onlyReverseDomainSchemesBesideHTTP() {
        for uri in ["javascript:alert(document.domain)//", "data:text/html,hello", "file:///etc/passwd", "vbscript:x", "myapp:/callback"] {
            #expect(throws: RedirectURIs.Refusal.unsafeScheme(uri)) { try RedirectURIs([uri]) }
        }
        #expect(throws: Never.self) { try RedirectURIs(["com.example.app:/oauth", "com.example.app:/oauth?x=1"]) }
    }

    @Test func matchingComparesBytesNotCanonicalCharacters() throws {
        let uris = try RedirectURIs(["https://app.example.com/cb;x", "https://app.example.com/K", "http://127.0.0.1/cb;x"])
        #expect(!uris.allows("https://app.example.com/cb\u{037E}x"), "Greek question mark is canonically a semicolon")
        #expect(!uris.allows("https://app.example.com/\u{212A}"), "Kelvin sign is canonically K")
        #expect(!uris.allows("http://127.0.0.1:8080/cb\u{037E}x"))
        #expect(uris.allows("http://127.0.0.1:8080/cb;x"))
    }
}
