#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The server's record of a signed-in browser: the claim ticket's stub.
///
/// The browser holds the ticket (a ``SessionSecret`` in the cookie); the store holds only
/// ``secretHash``, so a copy of the database cannot be used to sign in.
public struct Session: Sendable, Hashable {
    /// The public handle shown in lists and used to revoke; unrelated to the secret.
    public let id: String
    /// The account signed in.
    public let accountID: String
    /// SHA-256 of the cookie's secret value.
    public let secretHash: [UInt8]
    /// When the session started.
    public let createdAt: Date
    /// The last time a request used the session, kept to within a minute.
    public var lastSeenAt: Date
    /// How long the session survives without use.
    public let idleTimeout: Duration
    /// When the session ends whatever happens.
    public let absoluteExpiry: Date
    /// Whether the login asked to be remembered (the longer lifetimes).
    public let remember: Bool
    /// The `User-Agent` of the login request, shortened.
    public let userAgent: String?
    /// The client address of the login request.
    public let ipAddress: String?
    /// How the sign-in was proven (`amr`); it happened at ``createdAt`` (`auth_time`).
    public let authMethods: [AuthenticationMethod]

    /// Creates a session record.
    public init(
        id: String,
        accountID: String,
        secretHash: [UInt8],
        createdAt: Date,
        lastSeenAt: Date,
        idleTimeout: Duration,
        absoluteExpiry: Date,
        remember: Bool,
        userAgent: String?,
        ipAddress: String?,
        authMethods: [AuthenticationMethod] = [.password]
    ) {
        self.id = id
        self.accountID = accountID
        self.secretHash = secretHash
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
        self.idleTimeout = idleTimeout
        self.absoluteExpiry = absoluteExpiry
        self.remember = remember
        self.userAgent = userAgent
        self.ipAddress = ipAddress
        self.authMethods = authMethods
    }

    /// When the session ends if it is not used again: the earlier of the idle and absolute limits.
    public var expiresAt: Date {
        min(lastSeenAt.addingTimeInterval(idleTimeout.timeInterval), absoluteExpiry)
    }

    /// Whether the session is over at `now`.
    public func isExpired(at now: Date) -> Bool { now >= expiresAt }
}

extension Duration {
    /// The duration in (fractional) seconds.
    public var timeInterval: TimeInterval {
        let (seconds, attoseconds) = self.components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}
