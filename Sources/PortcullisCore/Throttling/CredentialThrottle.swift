import Crypto
import PortcullisTokens
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Slows password guessing and sign-up floods: counts attempts in sliding windows, per account
/// and per client network, and refuses an attempt once a count is full.
///
/// Each attempt is **reserved before the work it guards** (the password hash), atomically in an
/// ``AttemptLedger``, so no number of simultaneous requests gets more tries than the window allows.
/// A sign-in that succeeds releases its reservation; a failed one leaves it as the failure's
/// record. A refusal lasts only until the oldest counted attempt leaves the window, so the real
/// owner is never locked out for longer than the window. IPv6 clients are counted per /64.
///
/// A refusal is also remembered in this process until it ends, so a flood at one account or from
/// one address is answered from memory instead of costing the shared ledger a locked
/// transaction per request.
public struct CredentialThrottle: Sendable {
    /// The limits and windows.
    public struct Policy: Sendable, Hashable {
        /// Failed sign-ins allowed per account within ``window``.
        public var failuresPerAccount: Int
        /// Failed sign-ins allowed per client network within ``window``.
        public var failuresPerAddress: Int
        /// The sliding window of the sign-in counts.
        public var window: Duration
        /// Registrations allowed per client network; mail requests (password resets, verification
        /// mails) are allowed per client network at the same rate.
        public var registrations: AttemptRate
        /// Mails of one kind (reset links, verification links) allowed per address typed, whether
        /// it has an account or not; each kind has its own count.
        public var mailRequestsPerAccount: AttemptRate

        /// Creates a policy. Defaults: 10 failures per account and 100 per address in 15
        /// minutes; 20 registrations per address an hour.
        public init(
            failuresPerAccount: Int = 10,
            failuresPerAddress: Int = 100,
            window: Duration = .seconds(15 * 60),
            registrations: AttemptRate = AttemptRate(count: 20, per: .seconds(3600)),
            mailRequestsPerAccount: AttemptRate = AttemptRate(count: 5, per: .seconds(3600))
        ) {
            self.failuresPerAccount = failuresPerAccount
            self.failuresPerAddress = failuresPerAddress
            self.window = window
            self.registrations = registrations
            self.mailRequestsPerAccount = mailRequestsPerAccount
        }

        /// The longest window: attempts older than this count for nothing.
        public var longestWindow: Duration { max(window, registrations.period, mailRequestsPerAccount.period) }
    }

    /// An attempt that was counted; release it if it turns out not to be a failure.
    public struct Reservation: Sendable, Hashable {
        let id: String
    }

    /// The limits in force.
    public let policy: Policy
    /// Where the counts live.
    public let ledger: any AttemptLedger
    private let clock: any WallClock
    private let refusals = RefusalMemory()

    /// Creates the throttle.
    public init(policy: Policy = Policy(), ledger: any AttemptLedger, clock: any WallClock = SystemClock()) {
        self.policy = policy
        self.ledger = ledger
        self.clock = clock
    }

    /// Reserves a password check for `account` (a normalized email or what was typed) from
    /// `clientAddress`.
    /// - Throws: ``PortcullisError`` `throttled`, with the seconds to wait, when either count is full.
    public func reserveSignIn(account: String, clientAddress: String?) async throws -> Reservation {
        var counts = [Count(scope: "sign-in:account", value: account, limit: policy.failuresPerAccount, window: policy.window)]
        if let network = clientAddress.map(Self.network) {
            counts.append(Count(scope: "sign-in:address", value: network, limit: policy.failuresPerAddress, window: policy.window))
        }
        return try await reserve(counts, refusal: "Too many failed sign-in attempts. Try again later.")
    }

    /// Reserves a registration from `clientAddress`; `nil` when there is no address (the command
    /// line), which is not throttled.
    /// - Throws: ``PortcullisError`` `throttled` when the address has used its allowance.
    public func reserveRegistration(clientAddress: String?) async throws -> Reservation? {
        guard let network = clientAddress.map(Self.network) else { return nil }
        let count = Count(scope: "registration:address", value: network, limit: policy.registrations.count, window: policy.registrations.period)
        return try await reserve([count], refusal: "Too many accounts were created from this network. Try again later.")
    }

    /// Reserves a request for mail (a reset link, a verification link) from `clientAddress`,
    /// counted per client network at the registration rate; a request with no address (the
    /// command line) is not counted.
    /// - Throws: ``PortcullisError`` `throttled` when the network has used its allowance.
    public func reserveMailRequest(clientAddress: String?) async throws {
        guard let network = clientAddress.map(Self.network) else { return }
        let count = Count(scope: "mail:address", value: network, limit: policy.registrations.count, window: policy.registrations.period)
        _ = try await reserve([count], refusal: "Too many emails were requested. Try again later.")
    }

    /// Reserves one mail of `purpose` to `email` (the address typed, whether or not it has an
    /// account). Each purpose is counted apart, so asking for verification links can never use up
    /// the allowance of reset links.
    /// - Throws: ``PortcullisError`` `throttled` when that address has had its allowance of that kind.
    public func reserveMail(_ purpose: OneTimeToken.Purpose, to email: String) async throws {
        let rate = policy.mailRequestsPerAccount
        let count = Count(scope: "mail:\(purpose.rawValue)", value: email, limit: rate.count, window: rate.period)
        _ = try await reserve([count], refusal: "Too many emails were sent to this address. Try again later.")
    }

    /// Un-counts a reservation: the sign-in succeeded, or the work never happened. Best effort: a
    /// failure to release leaves one attempt counted too many, which the window ends.
    public func release(_ reservation: Reservation) async {
        try? await ledger.release(reservation.id)
    }

    /// Deletes attempts no window reaches any more (run periodically by the ``StoreSweeper``).
    public func purge() async throws -> Int {
        try await ledger.purgeAttempts(before: clock.now.addingTimeInterval(-policy.longestWindow.timeInterval))
    }

    // MARK: The rule

    /// How many seconds the caller must wait before `recent` (the newest attempts within the
    /// window, newest first) leaves room for one more under `limit`; `nil` when there is room now.
    public static func wait(recent: [Date], limit: Int, window: Duration, now: Date) -> Int? {
        guard recent.count >= limit else { return nil }
        guard limit > 0 else { return max(1, Int(window.components.seconds)) }
        let oldestCounted = recent[limit - 1]
        let remaining = oldestCounted.addingTimeInterval(window.timeInterval).timeIntervalSince(now)
        return max(1, Int(remaining.rounded(.up)))
    }

    private struct Count {
        let scope: String
        let value: String
        let limit: Int
        let window: Duration

        /// A hash of scope and value: the ledger keeps no email or client address.
        var key: String {
            Base64.encode(Array(SHA256.hash(data: Array("\(scope)\u{0}\(value)".utf8))))
        }
    }

    private func reserve(_ counts: [Count], refusal: String) async throws -> Reservation {
        let now = clock.now
        let keys = counts.map { AttemptKey(key: $0.key, limit: $0.limit, since: now.addingTimeInterval(-$0.window.timeInterval)) }
        let rules = zip(counts, keys).map { (key: $1.key, limit: $0.limit, window: $0.window) }
        let waits: @Sendable ([String: [Date]]) -> [Int] = { recent in
            rules.compactMap { Self.wait(recent: recent[$0.key] ?? [], limit: $0.limit, window: $0.window, now: now) }
        }
        if let until = refusals.refusedUntil(keys.map(\.key), now: now) {
            throw PortcullisError(.throttled, refusal, retryAfterSeconds: max(1, Int(until.timeIntervalSince(now).rounded(.up))))
        }
        let id = SecureRandom.token(byteCount: 16)
        let result = try await ledger.reserve(id, under: keys, at: now) { waits($0).isEmpty }
        guard result.recorded else {
            var longest = 1
            for rule in rules {
                guard let wait = Self.wait(recent: result.recent[rule.key] ?? [], limit: rule.limit, window: rule.window, now: now) else { continue }
                refusals.refuse(rule.key, until: now.addingTimeInterval(TimeInterval(wait)))
                longest = max(longest, wait)
            }
            throw PortcullisError(.throttled, refusal, retryAfterSeconds: longest)
        }
        return Reservation(id: id)
    }

    /// What a client address is counted by: itself for IPv4, its /64 for IPv6.
    static func network(_ address: String) -> String {
        IPAddress(address)?.clientNetwork ?? address
    }
}

/// Keys this process knows to be full, and until when: a refusal costs no ledger round trip.
/// Bounded: past its capacity, entries that have ended are dropped, then the oldest.
private final class RefusalMemory: Sendable {
    private let until = Mutex<[String: Date]>([:])
    private static let capacity = 100_000

    /// The latest end among the refusals of `keys` still running at `now`, if any.
    func refusedUntil(_ keys: [String], now: Date) -> Date? {
        until.withLock { until in keys.compactMap { until[$0] }.filter { $0 > now }.max() }
    }

    func refuse(_ key: String, until end: Date) {
        until.withLock { until in
            if until.count >= Self.capacity {
                let now = Date()
                until = until.filter { $0.value > now }
                if until.count >= Self.capacity, let oldest = until.min(by: { $0.value < $1.value })?.key { until[oldest] = nil }
            }
            until[key] = max(until[key] ?? end, end)
        }
    }
}

/// A number of attempts per period, written `20/h`, `5/m`, `100/1d` or `50/30m` in settings.
public struct AttemptRate: Sendable, Hashable, CustomStringConvertible {
    /// Attempts allowed per period.
    public var count: Int
    /// The sliding window.
    public var period: Duration

    /// Creates a rate.
    public init(count: Int, per period: Duration) {
        self.count = count
        self.period = period
    }

    /// Parses `COUNT/PERIOD`, where the period is a unit (`s`, `m`, `h`, `d`) optionally preceded
    /// by a whole number; `nil` when malformed.
    public init?(setting text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let count = Int(parts[0]), count >= 0, let unit = parts[1].last else { return nil }
        let amount = parts[1].dropLast()
        guard let multiple = amount.isEmpty ? 1 : Int64(amount), multiple > 0 else { return nil }
        let seconds: Int64
        switch unit {
        case "s": seconds = 1
        case "m": seconds = 60
        case "h": seconds = 3600
        case "d": seconds = 86400
        default: return nil
        }
        self.init(count: count, per: .seconds(multiple * seconds))
    }

    public var description: String { "\(count)/\(period.components.seconds)s" }
}
