import PortcullisCore
import Testing

@Suite("Secrets and emails")
struct SecretTests {
    @Test func sessionSecretsAre256RandomBitsInTheCookie() {
        let secret = SessionSecret.generate()
        #expect(secret.bytes.count == 32)
        #expect(secret.cookieValue.count == 43)
        #expect(SessionSecret(cookieValue: secret.cookieValue) == secret)
        #expect(SessionSecret.generate() != secret)
        #expect(secret.hash.count == 32 && secret.hash != secret.bytes)
        #expect("\(secret)" == "SessionSecret(redacted)")
    }

    @Test(arguments: ["", "short", String(repeating: "A", count: 42), String(repeating: "A", count: 44), String(repeating: "!", count: 43)])
    func malformedCookieValuesAreNotSecrets(value: String) {
        #expect(SessionSecret(cookieValue: value) == nil)
    }

    @Test func csrfTokensAreBoundToTheSessionAndRevealNothing() {
        let secret = SessionSecret.generate()
        let other = SessionSecret.generate()
        #expect(secret.acceptsCSRFToken(secret.csrfToken))
        #expect(secret.acceptsCSRFToken(other.csrfToken) == false)
        #expect(secret.acceptsCSRFToken("") == false)
        #expect(secret.csrfToken != secret.cookieValue)
        #expect(!secret.csrfToken.contains(secret.cookieValue.prefix(8)))
    }

    @Test func constantTimeComparison() {
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 3]))
        #expect(ConstantTime.equals([1, 2, 3], [1, 2, 4]) == false)
        #expect(ConstantTime.equals([1, 2, 3], [1, 2]) == false)
        #expect(ConstantTime.equals([UInt8](), [UInt8]()))
    }

    @Test func emailsAreNormalized() throws {
        #expect(try EmailAddress.normalize(" Ada@Example.COM ") == "ada@example.com")
        for bad in ["", "ada", "ada@", "@example.com", "ada@example", "a@b@example.com", "ada@.example.com", "ada @example.com", "ada@example.com."] {
            #expect(throws: PortcullisError.self, "\(bad)") { try EmailAddress.normalize(bad) }
        }
        #expect(throws: PortcullisError.self) { try EmailAddress.normalize(String(repeating: "a", count: 243) + "@example.com") }
        _ = try EmailAddress.normalize(String(repeating: "a", count: 242) + "@example.com")  // 254 bytes
    }
}
