import Foundation
import PortcullisCore
import Synchronization
import Testing

@Suite("Passwords")
struct PasswordTests {
    static let cheap = ScryptParameters(logN: 10, blockSize: 8, parallelism: 1)

    @Test func hashesAreSelfDescribingPHCStringsThatVerify() async throws {
        let hasher = PasswordHasher(parameters: Self.cheap)
        let hash = try await hasher.hash("correct horse battery staple")
        #expect(hash.hasPrefix("$scrypt$ln=10,r=8,p=1$"))
        #expect(hash.split(separator: "$").count == 4)
        #expect(try await hasher.verify("correct horse battery staple", against: hash))
        #expect(try await hasher.verify("correct horse battery stapl", against: hash) == false)
        #expect(try await hasher.hash("correct horse battery staple") != hash)  // salted
    }

    @Test func verificationUsesTheStoredParametersAndFlagsWeakOnesForRehash() async throws {
        let old = try await PasswordHasher(parameters: Self.cheap).hash("correct horse battery staple")
        let current = PasswordHasher(parameters: ScryptParameters(logN: 11, blockSize: 8, parallelism: 1))
        #expect(try await current.verify("correct horse battery staple", against: old))
        #expect(current.needsRehash(old))
        #expect(current.needsRehash(try await current.hash("x")) == false)
        #expect(current.needsRehash("garbage"))
    }

    @Test(arguments: ["", "garbage", "$scrypt$ln=99,r=8,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$bcrypt$whatever", "$scrypt$ln=10,r=8,p=1$!!!$!!!"])
    func malformedStoredHashesNeverMatch(stored: String) async throws {
        #expect(try await PasswordHasher(parameters: Self.cheap).verify("anything", against: stored) == false)
    }

    @Test func theDecoyNeverMatches() async throws {
        #expect(try await PasswordHasher(parameters: Self.cheap).verifyDecoy("anything") == false)
    }

    @Test func owaspParametersAreTheDefault() {
        #expect(PasswordHasher().parameters == ScryptParameters(logN: 17, blockSize: 8, parallelism: 1))
        #expect(ScryptParameters.owasp.memoryBytes == 128 * 1024 * 1024)
    }

    @Test func policyFollowsNIST() throws {
        let policy = PasswordPolicy()
        #expect(throws: PortcullisError.self) { try policy.validate("elevenchars") }
        try policy.validate("twelve chars")
        try policy.validate("日本語のパスワードですね")  // 12 characters, 36 bytes: characters count
        #expect(throws: PortcullisError.self) { try policy.validate("日本語のパスワードです") }
        // 512 Cyrillic letters, а to я over and over: 1024 bytes, the most accepted; one more is too many.
        let longest = String((0..<512).map { Character(Unicode.Scalar(0x430 + $0 % 32)!) })
        try policy.validate(longest)
        #expect(throws: PortcullisError.self) { try policy.validate(longest + "é") }  // 1026 bytes
        #expect(throws: PortcullisError.self) { try policy.validate(String(repeating: "é", count: 513)) }
        #expect(throws: PortcullisError.self) { try policy.validate("1q2w3e4r5t6y") }
        #expect(throws: PortcullisError.self) { try policy.validate("QWERTY123456") }
        // Breached, repetitive or sequential, and context-specific words (§3.1.1.2).
        #expect(throws: PortcullisError.self) { try policy.validate("iloveyouforever") }
        #expect(throws: PortcullisError.self) { try policy.validate("abcdefghijklmnop") }
        #expect(throws: PortcullisError.self) { try policy.validate("adalovelace1815", email: "ada.lovelace@example.com") }
        #expect(throws: PortcullisError.self) { try policy.validate("portcullis2026!") }
        try policy.validate("correct horse portcullis staple", email: "ada.lovelace@example.com")
    }

    @Test(arguments: [
        "qwertyuiopasdfgh", "1q2w3e4r5t6y7u8i", "iloveyouforever", "passwordpassword", "1234567890123",
        "michaeljordan", "letmeinletmein", "IloveYouBaby", "1qaz2wsx3edc4rfv",
    ])
    func famousLongBreachedPasswordsAreRefused(password: String) {
        #expect(CommonPasswords.shipped.contains(password))
        #expect(throws: PortcullisError.self) { try PasswordPolicy().validate(password) }
    }

    @Test(arguments: [
        "aaaaaaaaaaaa", "abcabcabcabc", "passpasspass", "abcdefghijkl", "123456789012", "987654321098",
        "qwertyuiopas", "zyxwvutsrqpo", "abcdef123456", "aaaa1111bbbb", "1qaz2wsx3edc", "qazwsxedcrfv",
        "1234567890-=", "ZXCVBNM,./12", "azertyuiop12", "147258369147", "1q2w3e4r5t6y7u8i9o", "Abcd!Abcd!Abcd!",
        "wordwordword", "monkeymonkey", "hunter2hunter2",
    ])
    func repetitiveAndSequentialPasswordsAreRefused(password: String) throws {
        #expect(PredictablePassword.isPredictable(password), "\(password)")
        let error = try #require(throws: PortcullisError.self) { try PasswordPolicy(commonPasswords: CommonPasswords(list: "")).validate(password) }
        #expect(error.kind == .weakPassword)
        #expect(error.reason.contains("repeated or sequential"))
        #expect(!error.reason.lowercased().contains(password.lowercased()))
    }

    @Test(arguments: [
        "correct horse battery staple", "twelve chars", "日本語のパスワードですね", "Tr0ub4dor&3 horse", "my cat is named Ada!",
        "ça ne fait rien 🔐🔐", "lowercase letters only", "undefeatable hijinks", "qwerty is a keyboard layout",
        "correct horse battery staple correct horse battery staple",
    ])
    func passphrasesAreAccepted(password: String) throws {
        #expect(PredictablePassword.isPredictable(password) == false, "\(password)")
        try PasswordPolicy().validate(password)
        try PasswordPolicy().validate(password, email: "ada.lovelace@example.com")
    }

    @Test(arguments: [
        "adalovelace2024!", "ada.lovelace!!", "lovelace12345", "AdaLovelace!2024", "ada.lovelace@example.com",
        "lovelaceqwertyuiop", "portcullis123", "portcullis2026!", "Portcullis-Portcullis", "my portcullis!",
        "portcullisabcdefghij",
    ])
    func passwordsLeaningOnTheEmailOrTheServiceAreRefused(password: String) throws {
        let policy = PasswordPolicy(commonPasswords: CommonPasswords(list: ""))
        let error = try #require(throws: PortcullisError.self) { try policy.validate(password, email: "ada.lovelace@example.com") }
        #expect(error.kind == .weakPassword)
        #expect(error.reason.contains("email address or the name of this service"))
        #expect(!error.reason.lowercased().contains(password.lowercased()))
    }

    @Test func contextWordsMayAppearInALongerPassphrase() throws {
        let policy = PasswordPolicy()
        try policy.validate("correct horse portcullis staple")
        try policy.validate("correct horse portcullis staple", email: "ada.lovelace@example.com")
        try policy.validate("ada lovelace wrote the first program", email: "ada.lovelace@example.com")
        try policy.validate("adalovelace2024!")  // without the email, nothing to lean on
    }

    @Test func contextWordsComeFromTheEmailsLocalPartAndTheServiceWords() throws {
        let context = PasswordContext(email: "ada.lovelace+news@example.com", serviceWords: ["Acme Identity"])
        #expect(
            Set(context.words) == [
                "ada.lovelace+news@example.com", "ada.lovelace+news", "adalovelacenews", "lovelace", "news",
                "acme identity", "acmeidentity", "acme", "identity",
            ]
        )
        #expect(context.words.first == "ada.lovelace+news@example.com")  // longest first
        #expect(context.remainder(of: "Lovelace & Acme forever") == " &  forever")
        #expect(context.remainder(of: "correct horse battery staple") == nil)
        // Letters are a word of their own even when digits follow them in the address.
        #expect(PasswordContext(email: "ada.lovelace1815@example.com", serviceWords: []).words.contains("lovelace"))

        let policy = PasswordPolicy(commonPasswords: CommonPasswords(list: ""), serviceWords: ["Acme Identity"])
        #expect(throws: PortcullisError.self) { try policy.validate("AcmeIdentity2026") }
        try policy.validate("portcullis2026!")  // not this service's word any more
    }

    @Test func registrationRefusesAPasswordBuiltOnTheEmail() async throws {
        let accounts = AccountService(store: MemoryStore(), hasher: PasswordHasher(parameters: Self.cheap))
        await #expect(throws: PortcullisError.self) {
            try await accounts.register(email: "Ada.Lovelace@example.com", password: "AdaLovelace2024!")
        }
        _ = try await accounts.register(email: "ada.lovelace@example.com", password: "correct horse battery staple")
    }

    /// The resource as committed, read from the source tree.
    static let shippedFile: [Substring] = {
        let url = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/PortcullisCore/Passwords/Resources/common-passwords.txt")
        let text = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").drop(while: { $0.hasPrefix("#") }).map { $0 }
    }()

    @Test func theShippedListHoldsTensOfThousandsOfLongBreachedPasswords() {
        let list = CommonPasswords.shipped
        #expect(list.count > 40_000)
        for famous in ["qwertyuiopasdfgh", "1q2w3e4r5t6y7u8i", "iloveyouforever", "passwordpassword", "1234567890123"] {
            #expect(list.contains(famous), "\(famous)")
        }
        #expect(list.contains("QWERTYUIOPASDFGH"))  // case is ignored
        #expect(list.contains("correct horse battery staple") == false)
        #expect(list.contains("password") == false)  // shorter than any password the policy accepts
    }

    @Test func theResourceLoadsWholeAndHoldsOnlyEntriesOfTwelveCharacters() {
        #expect(Self.shippedFile.count > 40_000)
        #expect(CommonPasswords.shipped.count == Self.shippedFile.count)  // every line, no header, no duplicate
        #expect(Self.shippedFile.allSatisfy { $0.count >= 12 && $0 == $0.lowercased() })
    }

    @Test func theWorkPoolBoundsConcurrency() async throws {
        let pool = BlockingWorkPool(width: 2)
        let gauge = Gauge()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    try await pool.run {
                        gauge.enter()
                        usleep(20_000)
                        gauge.leave()
                    }
                }
            }
            try await group.waitForAll()
        }
        // Never more than the width at once (fewer is possible on a loaded machine).
        #expect((1...2).contains(gauge.peak))
    }
}

#if canImport(Glibc)
import Glibc
#endif

/// Counts how many jobs run at once.
final class Gauge: Sendable {
    private let state = Mutex((current: 0, peak: 0))
    func enter() {
        state.withLock {
            $0.current += 1
            $0.peak = max($0.peak, $0.current)
        }
    }
    func leave() { state.withLock { $0.current -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}
