/// How long sessions live (docs/security.md#sessions-and-cookies).
public struct SessionPolicy: Sendable, Hashable {
    /// Idle lifetime of an ordinary session.
    public var idle: Duration
    /// Absolute lifetime of an ordinary session.
    public var absolute: Duration
    /// Idle lifetime with `remember: true`.
    public var rememberIdle: Duration
    /// Absolute lifetime with `remember: true`.
    public var rememberAbsolute: Duration
    /// `last_seen_at` is written at most this often per session, so validation is a read.
    public var touchInterval: Duration

    /// Creates a policy; the defaults are the contract's.
    public init(
        idle: Duration = .seconds(30 * 60),
        absolute: Duration = .seconds(12 * 3600),
        rememberIdle: Duration = .seconds(7 * 86400),
        rememberAbsolute: Duration = .seconds(30 * 86400),
        touchInterval: Duration = .seconds(60)
    ) {
        self.idle = idle
        self.absolute = absolute
        self.rememberIdle = rememberIdle
        self.rememberAbsolute = rememberAbsolute
        self.touchInterval = touchInterval
    }

    /// The idle and absolute lifetimes for a login with or without remember-me.
    public func lifetimes(remember: Bool) -> (idle: Duration, absolute: Duration) {
        remember ? (rememberIdle, rememberAbsolute) : (idle, absolute)
    }
}
