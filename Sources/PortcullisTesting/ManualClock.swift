public import PortcullisCore
import Synchronization

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A ``WallClock`` that moves only when a test says so, for testing expiry without sleeping.
public final class ManualClock: WallClock {
    private let current: Mutex<Date>

    /// A clock standing at `start` (whole seconds, as the stores keep them).
    public init(start: Date = Date(epochSeconds: 1_800_000_000)) {
        self.current = Mutex(start)
    }

    /// The time the clock stands at.
    public var now: Date { current.withLock { $0 } }

    /// Moves the clock forward.
    public func advance(by duration: Duration) {
        current.withLock { $0 = $0.addingTimeInterval(duration.timeInterval) }
    }
}
