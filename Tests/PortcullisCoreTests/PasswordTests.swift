import PortcullisCore
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
        #expect(throws: PortcullisError.self) { try policy.validate(String(repeating: "é", count: 513)) }  // 1026 bytes
        try policy.validate(String(repeating: "é", count: 512))
        #expect(throws: PortcullisError.self) { try policy.validate("1q2w3e4r5t6y") }
        #expect(throws: PortcullisError.self) { try policy.validate("QWERTY123456") }
    }

    @Test func theShippedListHasAtLeastTenThousandEntries() {
        #expect(CommonPasswords.shipped.count >= 10_000)
        #expect(CommonPasswords.shipped.contains("password"))
        #expect(CommonPasswords.shipped.contains("correct horse battery staple") == false)
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
import Synchronization

/// Counts how many jobs run at once.
final class Gauge: Sendable {
    private let state = Mutex((current: 0, peak: 0))
    func enter() { state.withLock { $0.current += 1; $0.peak = max($0.peak, $0.current) } }
    func leave() { state.withLock { $0.current -= 1 } }
    var peak: Int { state.withLock { $0.peak } }
}
