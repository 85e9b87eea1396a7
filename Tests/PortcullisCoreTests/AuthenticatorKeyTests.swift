import Foundation
import HummingbirdOTP
import PortcullisCore
import PortcullisTesting
import Testing

/// Authenticator codes (RFC 6238) and recovery codes.
@Suite("Authenticator codes")
struct AuthenticatorKeyTests {
    /// RFC 6238 appendix B, SHA-1, with the last six of its eight digits (the same truncation).
    @Test(arguments: [
        (59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"), (1_234_567_890, "005924"),
        (2_000_000_000, "279037"), (20_000_000_000, "353130"),
    ])
    func rfc6238Vectors(time: Int64, code: String) {
        let key = AuthenticatorKey(bytes: Array("12345678901234567890".utf8))
        #expect(key.code(step: time / 30) == code)
    }

    /// hummingbird-auth's implementation agrees with ours, for keys it can take (ASCII strings).
    @Test func agreesWithHummingbirdOTP() {
        for index in 0..<50 {
            let secret = String((0..<20).map { _ in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef0123456789".randomElement()! })
            let time = Date(timeIntervalSince1970: Double(1_700_000_000 + index * 977))
            let theirs = TOTP(secret: secret).compute(date: time)
            #expect(AuthenticatorKey(bytes: Array(secret.utf8)).code(step: AuthenticatorKey.step(at: time)) == String(format: "%06d", theirs))
        }
    }

    @Test func aCodeIsAcceptedOneStepEitherSideAndNoFurther() throws {
        let key = AuthenticatorKey.generate()
        let now = Date(timeIntervalSince1970: 1_800_000_015)
        let step = AuthenticatorKey.step(at: now)
        for offset in -1...1 { #expect(key.step(matching: key.code(step: step + Int64(offset)), at: now) == step + Int64(offset)) }
        for offset in [-3, -2, 2, 3] where key.code(step: step + Int64(offset)) != key.code(step: step) {
            #expect(key.step(matching: key.code(step: step + Int64(offset)), at: now) == nil)
        }
        for malformed in ["", "12345", "1234567", "12a456", "１２３４５６", "123 45"] { #expect(key.step(matching: malformed, at: now) == nil) }
    }

    @Test func theSecretAndURIAreWhatAuthenticatorAppsRead() throws {
        let key = AuthenticatorKey.generate()
        #expect(key.base32.count == 32 && key.base32.allSatisfy { "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".contains($0) })
        let app = try #require(AuthenticatorApp(secret: key.base32))
        let now = Date()
        #expect(app.code(at: now) == key.code(step: AuthenticatorKey.step(at: now)))
        let uri = key.provisioningURI(issuer: "auth.example.com", account: "ada+x@example.com")
        #expect(
            uri
                == "otpauth://totp/auth.example.com:ada%2Bx@example.com?secret=\(key.base32)&issuer=auth.example.com&algorithm=SHA1&digits=6&period=30"
        )
        // RFC 4648's own vector.
        #expect(AuthenticatorKey(bytes: Array("foobar".utf8)).base32 == "MZXW6YTBOI")
    }

    @Test func theKeyIsSealedForItsAccount() throws {
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let key = AuthenticatorKey.generate()
        let sealed = try key.seal(with: encryption, accountID: "a1")
        #expect(try AuthenticatorKey.open(sealed, with: encryption, accountID: "a1").base32 == key.base32)
        #expect(throws: (any Error).self) { try AuthenticatorKey.open(sealed, with: encryption, accountID: "a2") }
        #expect(!sealed.starts(with: Array(key.base32.utf8.prefix(8))))
    }

    @Test func recoveryCodesAreTenDistinctAndHashIgnoringCaseAndDashes() throws {
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        let codes = RecoveryCodes.generate()
        #expect(codes.count == 10 && Set(codes).count == 10)
        #expect(codes.allSatisfy { $0.count == 11 && $0.dropFirst(5).first == "-" })
        let hashing = RecoveryCodes(encryption: encryption)
        let code = codes[0]
        #expect(hashing.hash(code) != nil)
        #expect(hashing.hash(code.uppercased()) == hashing.hash(code))
        #expect(hashing.hash(code.replacingOccurrences(of: "-", with: " ")) == hashing.hash(code))
        #expect(hashing.hash(codes[1]) != hashing.hash(code))
        // Another key-encryption key gives other hashes: a copy of the database alone cannot test guesses.
        #expect(RecoveryCodes(encryption: try KeyEncryptionKey(bytes: SecureRandom.bytes(32))).hash(code) != hashing.hash(code))
        for malformed in ["", "abc", "abcde-fghi1", "abcdefghijk"] { #expect(hashing.hash(malformed) == nil) }
    }
}
