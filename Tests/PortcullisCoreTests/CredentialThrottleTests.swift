import Foundation
import PortcullisCore
import PortcullisTesting
import Testing

@Suite("Credential throttle")
struct CredentialThrottleTests {
    static func throttle(_ policy: CredentialThrottle.Policy, clock: ManualClock = ManualClock()) -> CredentialThrottle {
        CredentialThrottle(policy: policy, ledger: MemoryAttemptLedger(), clock: clock)
    }

    @Test func refusesPastTheLimitUntilTheWindowMovesOn() async throws {
        let clock = ManualClock()
        let throttle = Self.throttle(.init(failuresPerAccount: 3, failuresPerAddress: 100, window: .seconds(600)), clock: clock)
        for _ in 0..<3 {
            _ = try await throttle.reserveSignIn(account: "ada", clientAddress: "192.0.2.1")
            clock.advance(by: .seconds(60))
        }
        do {
            _ = try await throttle.reserveSignIn(account: "ada", clientAddress: "192.0.2.1")
            Issue.record("expected a refusal")
        } catch let error as PortcullisError {
            #expect(error.kind == .throttled)
            #expect(error.retryAfterSeconds == 420)  // the first attempt leaves the window in 7 minutes
        }
        _ = try await throttle.reserveSignIn(account: "bob", clientAddress: "192.0.2.1")
        clock.advance(by: .seconds(420))
        _ = try await throttle.reserveSignIn(account: "ada", clientAddress: "192.0.2.1")
    }

    @Test func countsPerAddressAcrossAccountsAndPerSlash64() async throws {
        let throttle = Self.throttle(.init(failuresPerAccount: 100, failuresPerAddress: 2, window: .seconds(60)))
        _ = try await throttle.reserveSignIn(account: "a", clientAddress: "2001:db8:0:1::1")
        _ = try await throttle.reserveSignIn(account: "b", clientAddress: "2001:db8:0:1:ffff::2")
        await #expect(throws: PortcullisError.self) { try await throttle.reserveSignIn(account: "c", clientAddress: "2001:db8:0:1::3") }
        _ = try await throttle.reserveSignIn(account: "c", clientAddress: "2001:db8:0:2::1")
        // An IPv4-mapped address is the IPv4 client it carries.
        _ = try await throttle.reserveSignIn(account: "d", clientAddress: "192.0.2.9")
        _ = try await throttle.reserveSignIn(account: "e", clientAddress: "::ffff:192.0.2.9")
        await #expect(throws: PortcullisError.self) { try await throttle.reserveSignIn(account: "f", clientAddress: "192.0.2.9") }
    }

    @Test func aReleasedReservationDoesNotCount() async throws {
        let throttle = Self.throttle(.init(failuresPerAccount: 2, failuresPerAddress: 100, window: .seconds(60)))
        let first = try await throttle.reserveSignIn(account: "ada", clientAddress: nil)
        await throttle.release(first)
        _ = try await throttle.reserveSignIn(account: "ada", clientAddress: nil)
        _ = try await throttle.reserveSignIn(account: "ada", clientAddress: nil)
        await #expect(throws: PortcullisError.self) { try await throttle.reserveSignIn(account: "ada", clientAddress: nil) }
    }

    @Test func concurrentReservationsNeverExceedTheLimit() async throws {
        let throttle = Self.throttle(.init(failuresPerAccount: 10, failuresPerAddress: 100, window: .seconds(900)))
        let admitted = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<200 {
                group.addTask { (try? await throttle.reserveSignIn(account: "ada", clientAddress: "192.0.2.1")) != nil }
            }
            return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
        }
        #expect(admitted == 10)
    }

    @Test func registrationsArePerAddressAndTheCommandLineIsExempt() async throws {
        let throttle = Self.throttle(.init(registrations: AttemptRate(count: 2, per: .seconds(3600))))
        _ = try await throttle.reserveRegistration(clientAddress: "198.51.100.1")
        _ = try await throttle.reserveRegistration(clientAddress: "198.51.100.1")
        await #expect(throws: PortcullisError.self) { try await throttle.reserveRegistration(clientAddress: "198.51.100.1") }
        _ = try await throttle.reserveRegistration(clientAddress: "198.51.100.2")
        #expect(try await throttle.reserveRegistration(clientAddress: nil) == nil)
    }

    @Test(arguments: [("20/h", 20, 3600), ("5/m", 5, 60), ("100/1d", 100, 86400), ("50/30m", 50, 1800), ("0/s", 0, 1)])
    func ratesParse(text: String, count: Int, seconds: Int64) {
        #expect(AttemptRate(setting: text) == AttemptRate(count: count, per: .seconds(seconds)))
    }

    @Test(arguments: ["20", "/h", "20/", "20/x", "-1/h", "20/0h", "a/h"])
    func malformedRatesAreRefused(text: String) {
        #expect(AttemptRate(setting: text) == nil)
    }

    @Test func theRuleWaitsForTheOldestCountedAttempt() {
        let now = Date(timeIntervalSince1970: 1000)
        let recent = [now.addingTimeInterval(-10), now.addingTimeInterval(-50), now.addingTimeInterval(-100)]
        #expect(CredentialThrottle.wait(recent: recent, limit: 4, window: .seconds(120), now: now) == nil)
        #expect(CredentialThrottle.wait(recent: recent, limit: 3, window: .seconds(120), now: now) == 20)
        #expect(CredentialThrottle.wait(recent: recent, limit: 2, window: .seconds(120), now: now) == 70)
    }
}
