#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The source of wall-clock time for every expiry decision.
///
/// Policies never read the system clock directly: they ask a `WallClock`, so tests can move time
/// forward (``ManualClock`` in `PortcullisTesting`) instead of sleeping.
public protocol WallClock: Sendable {
    /// The current time.
    var now: Date { get }
}

/// The real clock.
public struct SystemClock: WallClock {
    /// Creates the system clock.
    public init() {}

    /// The current system time.
    public var now: Date { Date() }
}

extension Date {
    /// Whole seconds since 1970, the unit the contract uses for every `*_at` field.
    public var epochSeconds: Int64 { Int64(self.timeIntervalSince1970.rounded(.down)) }

    /// Creates a date from whole seconds since 1970.
    public init(epochSeconds: Int64) {
        self.init(timeIntervalSince1970: TimeInterval(epochSeconds))
    }
}
