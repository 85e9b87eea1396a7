/// Latencies of one operation, measured by running it again and again.
struct Timing: Sendable {
    /// The median, in microseconds.
    var p50: Double
    /// The 99th percentile, in microseconds.
    var p99: Double
    /// How many operations ran.
    var count: Int
    /// Operations per second of the loop that ran them one after another: what one core does.
    var perSecond: Double

    /// Runs `operation` back to back for `duration` (and at least `minimumCount` times), timing
    /// each, after a tenth as long untimed: the first calls pay for cold caches and lazy set-up.
    static func measure(
        for duration: Duration,
        minimumCount: Int = 20,
        _ operation: () async throws -> Void
    ) async throws -> Timing {
        let clock = ContinuousClock()
        let warmUpEnd = clock.now + duration / 10
        while clock.now < warmUpEnd { try await operation() }
        var samples: [Duration] = []
        samples.reserveCapacity(1 << 16)
        let start = clock.now
        let end = start + duration
        while samples.count < minimumCount || clock.now < end {
            let before = clock.now
            try await operation()
            samples.append(clock.now - before)
        }
        let elapsed = clock.now - start
        return Timing(samples: samples, elapsed: elapsed)
    }

    /// The distribution of `samples`, taken over `elapsed`.
    init(samples: [Duration], elapsed: Duration) {
        let sorted = samples.map { $0 / .nanoseconds(1) / 1000 }.sorted()
        p50 = Self.percentile(sorted, 0.50)
        p99 = Self.percentile(sorted, 0.99)
        count = sorted.count
        perSecond = elapsed > .zero ? Double(count) / (elapsed / .seconds(1)) : 0
    }

    /// The `fraction` percentile of ascending `values` (nearest rank).
    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let rank = Int((fraction * Double(values.count)).rounded(.up)) - 1
        return values[min(max(rank, 0), values.count - 1)]
    }
}
