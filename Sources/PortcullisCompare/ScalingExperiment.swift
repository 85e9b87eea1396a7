import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite

extension Experiments {
    /// What growing from one instance to several costs: what the instances must share, what a
    /// second instance pays the first time it meets a user's session (a read of the shared store),
    /// and what a new verifier pays once to check tokens offline (the issuer's keys, and the feed).
    func scaling() async throws -> [ComparisonReport.Row] {
        let (firstLookups, keysOnly, keysAndFeed) = try await withSQLite("scaling") { store in
            step("a second instance meets sessions of the first")
            let firstLookups = try await withInstance(store: store) { first in
                try await withInstance(store: store) { second in
                    let account = try await first.services.accounts.register(email: "scaling@compare.example", password: Self.password)
                    var secrets: [SessionSecret] = []
                    for _ in 0..<200 {
                        secrets.append(
                            try await first.services.sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil).secret
                        )
                    }
                    var samples: [Duration] = []
                    let clock = ContinuousClock()
                    let start = clock.now
                    for secret in secrets {
                        let before = clock.now
                        guard try await second.services.sessions.validate(secret) != nil else {
                            throw ExperimentFailure("a second instance did not know a session of the first")
                        }
                        samples.append(clock.now - before)
                    }
                    return Timing(samples: samples, elapsed: clock.now - start)
                }
            }
            step("new verifiers, with and without the feed")
            let (keysOnly, keysAndFeed) = try await withInstance(store: store) { instance in
                var keysOnly: [Duration] = []
                var keysAndFeed: [Duration] = []
                for _ in 0..<5 {
                    keysOnly.append(try await withVerifier(of: instance, followingFeed: false) { $1 })
                    keysAndFeed.append(try await withVerifier(of: instance, followingFeed: true) { $1 })
                }
                return (Timing(samples: keysOnly, elapsed: .zero), Timing(samples: keysAndFeed, elapsed: .zero))
            }
            return (firstLookups, keysOnly, keysAndFeed)
        }
        let sessionMiss = cell(firstLookups, "once per session and instance; then cached")
        return [
            .init(
                id: "scaling.shared",
                group: .scaling,
                label: "Instances must share",
                unit: "",
                cells: [
                    .session: .outcome("the session store (one SQLite file on one machine, PostgreSQL beyond)"),
                    .jwt: .outcome("the public keys only (JWKS)"),
                    .jwtWithFeed: .outcome("the public keys and one feed connection per instance"),
                    .hybrid: .outcome("the session store, and keys and feed for the services"),
                ],
                note: "What each instance needs from the others, or from the issuer, to recognise a user."
            ),
            .init(
                id: "scaling.second_instance_lookup",
                group: .scaling,
                label: "Second instance meets a session",
                unit: "µs",
                cells: [.session: sessionMiss, .hybrid: sessionMiss],
                note: "A second instance over the same SQLite file validating sessions the first one started: a store read each."
            ),
            .init(
                id: "scaling.verifier_start",
                group: .scaling,
                label: "New verifier ready",
                unit: "ms",
                cells: [
                    .jwt: milliseconds(keysOnly, "once per service instance: metadata and keys"),
                    .jwtWithFeed: milliseconds(keysAndFeed, "once per service instance: keys and the feed"),
                    .hybrid: milliseconds(keysAndFeed, "once per service instance"),
                ],
                note: "From starting a PortcullisVerifier to its first offline check, over 5 starts."
            ),
        ]
    }
}
