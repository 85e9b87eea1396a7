import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTokens
import PortcullisVerifier

extension Experiments {
    /// What recognising the caller costs per request, on one core: a session lookup in SQLite and
    /// in the session cache, and a token verification per signing algorithm, cold (every token
    /// new to the verifier) and warm (the token seen before), without and with the revocation feed.
    func cost() async throws -> [ComparisonReport.Row] {
        let duration = options.duration
        let (uncached, cached) = try await withSQLite("cost") { store in
            step("session lookup, SQLite")
            let uncached = try await withInstance(store: store, configure: { $0.sessionCache = false }) { instance in
                let secret = try await signedInSecret(on: instance, email: "uncached@compare.example")
                return try await Timing.measure(for: duration) { _ = try await instance.services.sessions.validate(secret) }
            }
            step("session lookup, cache")
            let cached = try await withInstance(store: store) { instance in
                let secret = try await signedInSecret(on: instance, email: "cached@compare.example")
                return try await Timing.measure(for: duration) { _ = try await instance.services.sessions.validate(secret) }
            }
            return (uncached, cached)
        }
        let postgres = try await withPostgres { store in
            step("session lookup, PostgreSQL")
            return try await withInstance(store: store, configure: { $0.sessionCache = false }) { instance in
                let secret = try await signedInSecret(on: instance, email: "postgres-uncached@compare.example")
                return try await Timing.measure(for: duration) { _ = try await instance.services.sessions.validate(secret) }
            }
        }

        var rows: [ComparisonReport.Row] = [
            .init(
                id: "cost.session.sqlite",
                group: .cost,
                label: "Session lookup, SQLite",
                unit: "µs",
                cells: [.session: cell(uncached), .hybrid: cell(uncached, "per page, and per token minted")],
                note: "SessionManager.validate with the cache off: one read of the SQLite store."
            ),
            .init(
                id: "cost.session.postgresql",
                group: .cost,
                label: "Session lookup, PostgreSQL",
                unit: "µs",
                cells: [
                    .session: postgres.map { cell($0) } ?? Self.withoutPostgres,
                    .hybrid: postgres.map { cell($0, "per page, and per token minted") } ?? Self.withoutPostgres,
                ],
                note: "SessionManager.validate with the cache off: one query to PostgreSQL over the network stack."
            ),
            .init(
                id: "cost.session.cache",
                group: .cost,
                label: "Session lookup, cache hit",
                unit: "µs",
                cells: [.session: cell(cached), .hybrid: cell(cached, "per page, and per token minted")],
                note: "The same lookup answered by the instance's session cache."
            ),
        ]
        for algorithm in [SigningAlgorithm.eddsa, .es256, .rs256] {
            step("token checks, \(algorithm.rawValue)")
            let timings = try await withInstance(store: MemoryStore(), configure: { $0.signingAlgorithm = algorithm }) { instance in
                try await verificationTimings(on: instance, feed: algorithm == .eddsa)
            }
            let feedCold = timings.feedCold.map { cell($0) } ?? .notRun("measured for EdDSA")
            let feedWarm = timings.feedWarm.map { cell($0) } ?? .notRun("measured for EdDSA")
            rows.append(
                .init(
                    id: "cost.verify_cold.\(algorithm.rawValue)",
                    group: .cost,
                    label: "Token check, cold, \(algorithm.rawValue)",
                    unit: "µs",
                    cells: [.jwt: cell(timings.cold), .jwtWithFeed: feedCold, .hybrid: cell(timings.cold, "per service call")],
                    note: "PortcullisVerifier.verify of a token it has not seen: parse, claims, signature."
                )
            )
            rows.append(
                .init(
                    id: "cost.verify_warm.\(algorithm.rawValue)",
                    group: .cost,
                    label: "Token check, warm, \(algorithm.rawValue)",
                    unit: "µs",
                    cells: [.jwt: cell(timings.warm), .jwtWithFeed: feedWarm, .hybrid: cell(timings.warm, "per service call")],
                    note: "The same token again: answered by the verifier's cache of verified tokens."
                )
            )
        }
        return rows
    }

    /// A cell with the median and 99th percentile of `timing`, and its rate on one core.
    func cell(_ timing: Timing, _ text: String? = nil) -> ComparisonReport.Cell {
        let rate = "\(Int(timing.perSecond.rounded()))/s on one core"
        var cell = ComparisonReport.Cell.measured(timing.p50, p99: timing.p99, [text, rate].compactMap { $0 }.joined(separator: "; "))
        cell.perSecond = timing.perSecond
        return cell
    }

    /// The secret of a session started directly on `instance` for a new account.
    private func signedInSecret(on instance: ThrowawayInstance, email: String) async throws -> SessionSecret {
        let account = try await instance.services.accounts.register(email: email, password: Self.password)
        return try await instance.services.sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil).secret
    }

    /// Verification latencies of `instance`'s tokens: cold and warm, and with `feed` also by a
    /// verifier following the revocation feed.
    private func verificationTimings(on instance: ThrowawayInstance, feed: Bool) async throws -> VerificationTimings {
        let account = try await instance.services.accounts.register(email: "verify@compare.example", password: Self.password)
        // Distinct tokens for the cold checks, so that none is answered from a cache.
        var tokens: [String] = []
        for _ in 0..<200 { tokens.append(try await instance.services.tokens.issue(for: account, audience: nil).accessToken) }
        let plain = try await withVerifier(of: instance, followingFeed: false, cacheCapacity: 0) { coldVerifier, _ in
            try await withVerifier(of: instance, followingFeed: false) { warmVerifier, _ in
                try await measureColdAndWarm(tokens: tokens, cold: coldVerifier, warm: warmVerifier)
            }
        }
        guard feed else { return VerificationTimings(cold: plain.cold, warm: plain.warm) }
        let following = try await withVerifier(of: instance, followingFeed: true, cacheCapacity: 0) { coldVerifier, _ in
            try await withVerifier(of: instance, followingFeed: true) { warmVerifier, _ in
                try await measureColdAndWarm(tokens: tokens, cold: coldVerifier, warm: warmVerifier)
            }
        }
        return VerificationTimings(cold: plain.cold, warm: plain.warm, feedCold: following.cold, feedWarm: following.warm)
    }

    /// `cold` (a verifier without a cache) checking `tokens` in turn, then `warm` checking one
    /// token again and again.
    private func measureColdAndWarm(tokens: [String], cold: PortcullisVerifier, warm: PortcullisVerifier) async throws -> (cold: Timing, warm: Timing)
    {
        var next = 0
        let coldTiming = try await Timing.measure(for: options.duration) {
            _ = try await cold.verify(tokens[next % tokens.count])
            next += 1
        }
        let warmTiming = try await Timing.measure(for: options.duration) { _ = try await warm.verify(tokens[0]) }
        return (coldTiming, warmTiming)
    }
}

/// Verification latencies for one signing algorithm.
private struct VerificationTimings: Sendable {
    var cold: Timing
    var warm: Timing
    var feedCold: Timing?
    var feedWarm: Timing?
}
