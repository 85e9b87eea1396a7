#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Slows password guessing: counts failed logins per account and per client address within a
/// sliding window, and refuses further attempts once a limit is reached (SECURITY.md §16).
///
/// A refusal lasts only until the oldest counted failure leaves the window, so the real owner is
/// never locked out for longer than ``Policy/window``. Counters live in this process: with
/// several instances each counts its own share (documented in the README).
public actor LoginThrottle {
    /// Limits and window.
    public struct Policy: Sendable, Hashable {
        /// Failures allowed per account within the window.
        public var failuresPerAccount: Int
        /// Failures allowed per client address within the window.
        public var failuresPerAddress: Int
        /// The sliding window.
        public var window: Duration

        /// Creates a policy. Defaults: 10 per account and 100 per address in 15 minutes.
        public init(failuresPerAccount: Int = 10, failuresPerAddress: Int = 100, window: Duration = .seconds(15 * 60)) {
            self.failuresPerAccount = failuresPerAccount
            self.failuresPerAddress = failuresPerAddress
            self.window = window
        }
    }

    private let policy: Policy
    private let clock: any WallClock
    private var failures: [Key: [Date]] = [:]

    private enum Key: Hashable {
        case account(String)
        case address(String)
    }

    /// A throttle with the given policy and clock.
    public init(policy: Policy = Policy(), clock: any WallClock = SystemClock()) {
        self.policy = policy
        self.clock = clock
    }

    /// Throws ``PortcullisError/Kind/throttled`` (with seconds to wait) while either the account or
    /// the address is over its limit.
    public func check(account: String, address: String?) throws(PortcullisError) {
        let now = clock.now
        let waits = [
            wait(for: .account(account), limit: policy.failuresPerAccount, now: now),
            address.flatMap { wait(for: .address($0), limit: policy.failuresPerAddress, now: now) },
        ].compactMap { $0 }
        if let longest = waits.max() {
            throw PortcullisError(.throttled, "Too many failed sign-in attempts. Try again later.", retryAfterSeconds: longest)
        }
    }

    /// Counts a failed attempt.
    public func recordFailure(account: String, address: String?) {
        let now = clock.now
        record(.account(account), limit: policy.failuresPerAccount, now: now)
        if let address { record(.address(address), limit: policy.failuresPerAddress, now: now) }
        if failures.count > 100_000 { prune(now: now) }
    }

    /// Forgets the account's failures after a successful login.
    public func recordSuccess(account: String) {
        failures[.account(account)] = nil
    }

    private func wait(for key: Key, limit: Int, now: Date) -> Int? {
        let recent = (failures[key] ?? []).filter { now.timeIntervalSince($0) < policy.window.timeInterval }
        guard recent.count >= limit, let oldest = recent.first else { return nil }
        let remaining = oldest.addingTimeInterval(policy.window.timeInterval).timeIntervalSince(now)
        return max(1, Int(remaining.rounded(.up)))
    }

    private func record(_ key: Key, limit: Int, now: Date) {
        var times = (failures[key] ?? []).filter { now.timeIntervalSince($0) < policy.window.timeInterval }
        times.append(now)
        failures[key] = Array(times.suffix(limit))
    }

    private func prune(now: Date) {
        failures = failures.filter { _, times in
            times.last.map { now.timeIntervalSince($0) < policy.window.timeInterval } ?? false
        }
    }
}
