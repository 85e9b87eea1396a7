public import PortcullisCore
public import Testing

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The behaviour every store backend must show, as checks a third-party backend can run in its
/// own tests (docs/design.md#the-store-protocols): a backend is done when it passes them all.
///
/// ```swift
/// struct MyBackend: StoreConformanceBackend { … }
///
/// @Test(arguments: StoreConformance.checks)
/// func conformance(check: StoreConformanceCheck) async throws {
///     try await check.run(on: MyBackend())
/// }
/// ```
///
/// Times are whole seconds, as the stores keep them. The fixtures (``t0``, ``account(_:roles:)``
/// and the rest) are public for a backend's own tests.
public enum StoreConformance {
    /// Every check, in a stable order.
    public static var checks: [StoreConformanceCheck] {
        storeChecks + accessChecks + tokenChecks + recoveryChecks + credentialRaceChecks + concurrencyChecks + secondFactorChecks
            + passkeyChecks
    }

    /// The moment the fixtures are made at: 2027-01-15T08:00:00Z.
    public static let t0 = Date(epochSeconds: 1_800_000_000)

    /// The stamp of revocations published at ``t0``, kept six minutes.
    public static let stamp = RevocationStamp(revokedAt: t0, expiresAt: t0.addingTimeInterval(360))

    /// A new account, created at ``t0``.
    public static func account(_ email: String, roles: [String] = []) -> Account {
        Account(email: email, roles: roles, createdAt: t0)
    }

    /// A new session of `account`, with a random secret hash.
    public static func session(
        for account: Account,
        id: String = UUID().uuidString,
        at time: Date = t0,
        idle: Int64 = 1800,
        absolute: Int64 = 43200
    ) -> Session {
        Session(
            id: id,
            accountID: account.id,
            secretHash: SessionSecret.generate().hash,
            createdAt: time,
            lastSeenAt: time,
            idleTimeout: .seconds(idle),
            absoluteExpiry: time.addingTimeInterval(TimeInterval(absolute)),
            remember: false,
            userAgent: "Agent/1",
            ipAddress: "192.0.2.1"
        )
    }

    /// A new refresh family of `account`.
    public static func family(_ account: Account, id: String = UUID().uuidString) -> RefreshFamily {
        RefreshFamily(
            id: id,
            accountID: account.id,
            clientID: "portcullis",
            audience: "api",
            createdAt: t0,
            lastUsedAt: t0,
            idleTimeout: .seconds(3600),
            absoluteExpiry: t0.addingTimeInterval(86400)
        )
    }

    /// A 32-byte stand-in for a token hash, readable in failures: `text`'s bytes, zero-padded.
    public static func hash(_ text: String) -> [UInt8] { Array(text.utf8) + Array(repeating: 0, count: max(0, 32 - text.utf8.count)) }
}

/// How the checks get stores from the backend under test.
public protocol StoreConformanceBackend: Sendable {
    /// Runs `body` with a fresh, migrated, empty store, and closes it afterwards.
    func withStore(_ body: (any PortcullisStore) async throws -> Void) async throws

    /// Runs `body` with two stores on the same fresh data, as two instances of the server would
    /// share it (an in-process store passes itself twice), and closes them afterwards.
    func withTwoStores(_ body: (any PortcullisStore, any PortcullisStore) async throws -> Void) async throws

    /// Whether the backend runs one write at a time (SQLite): the contention checks then use a
    /// lighter load, which proves as much. `false` unless declared.
    var writesOneAtATime: Bool { get }

    /// Whether the two stores of ``withTwoStores(_:)`` share the throttle's attempt counts, as
    /// instances sharing a database do. A backend that keeps them per process (SQLite) says
    /// `false`, and each instance then enforces its own limit. `true` unless declared.
    var sharesAttemptCountsBetweenInstances: Bool { get }
}

extension StoreConformanceBackend {
    public var writesOneAtATime: Bool { false }
    public var sharesAttemptCountsBetweenInstances: Bool { true }
}

/// One check of ``StoreConformance``: named, so a test report says which behaviour failed.
public struct StoreConformanceCheck: Sendable, CustomTestStringConvertible {
    /// What the check asserts, as a test name.
    public let name: String
    private let body: @Sendable (any StoreConformanceBackend) async throws -> Void

    init(_ name: String, _ body: @escaping @Sendable (any StoreConformanceBackend) async throws -> Void) {
        self.name = name
        self.body = body
    }

    public var testDescription: String { name }

    /// Runs the check against `backend`, recording failures with Swift Testing's `#expect`.
    public func run(on backend: some StoreConformanceBackend) async throws {
        try await body(backend)
    }
}
