import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTokens
import PortcullisVerifier

extension Experiments {
    /// How long after a sign-out (or a revocation) the credential stops working: a session on the
    /// instance that ended it and on another instance over the same store, a bare JWT (its
    /// remaining lifetime, shown, not waited for), and a JWT at a verifier that follows the feed.
    func revocation() async throws -> [ComparisonReport.Row] {
        let rounds = 10
        step("sign-outs on SQLite, two instances")
        let measured = try await withSQLite("revocation") { store in
            try await withInstance(store: store) { first in
                try await withInstance(store: store) { second in
                    let emails = try await accounts(rounds, on: first, prefix: "revocation")
                    let signOuts = try await sessionSignOuts(emails, first: first, second: second)
                    step("revocations at a verifier following the feed")
                    let feed = try await withVerifier(of: first, followingFeed: true) { verifier, _ in
                        var token: [Duration] = []
                        var minted: [Duration] = []
                        for email in emails {
                            let access = try await client.passwordGrant(first.url, email: email, password: Self.password)
                            _ = try await verifier.verify(access)
                            let start = ContinuousClock.now
                            try await client.revoke(first.url, token: access)
                            token.append(try await untilRefused(since: start) { await verifier.refuses(access) })

                            let session = try await client.signIn(first.url, email: email, password: Self.password)
                            let short = try await client.mintToken(first.url, from: session)
                            _ = try await verifier.verify(short)
                            let signOut = ContinuousClock.now
                            try await client.signOut(first.url, session)
                            minted.append(try await untilRefused(since: signOut) { await verifier.refuses(short) })
                        }
                        return (token: Timing(samples: token, elapsed: .zero), minted: Timing(samples: minted, elapsed: .zero))
                    }
                    return (
                        same: signOuts.same,
                        other: signOuts.other,
                        token: feed.token,
                        minted: feed.minted,
                        lifetime: first.services.configuration.accessLifetime
                    )
                }
            }
        }
        if self.postgres != nil { step("sign-outs on PostgreSQL, two instances") }
        let postgresSignOuts = try await withPostgres { firstStore in
            try await withPostgres { secondStore in
                try await withInstance(store: firstStore) { first in
                    try await withInstance(store: secondStore) { second in
                        let emails = try await accounts(rounds, on: first, prefix: "revocation-postgresql")
                        return try await sessionSignOuts(emails, first: first, second: second).other
                    }
                }
            }
        }
        let postgresCell = postgresSignOuts.flatMap { $0 }.map { milliseconds($0) } ?? Self.withoutPostgres
        let lifetime = measured.lifetime / .milliseconds(1)
        return [
            .init(
                id: "revocation.same_instance",
                group: .revocation,
                label: "Refused by the same instance",
                unit: "ms",
                cells: [.session: milliseconds(measured.same), .hybrid: milliseconds(measured.same)],
                note: "From sending the sign-out to the first refused request on that instance, over \(rounds) sign-outs."
            ),
            .init(
                id: "revocation.other_instance",
                group: .revocation,
                label: "Refused by another instance",
                unit: "ms",
                cells: [.session: milliseconds(measured.other), .hybrid: milliseconds(measured.other)],
                note: "The same, on a second instance over the same store that had the session cached."
            ),
            .init(
                id: "revocation.other_instance.postgresql",
                group: .revocation,
                label: "Refused by another instance, PostgreSQL",
                unit: "ms",
                cells: [.session: postgresCell, .hybrid: postgresCell],
                note: "The same with two instances, each with its own connection pool, on one PostgreSQL database."
            ),
            .init(
                id: "revocation.verifier",
                group: .revocation,
                label: "Refused by a service's verifier",
                unit: "ms",
                cells: [
                    .jwt: .derived(lifetime, "until the token expires: its lifetime, the longest wait; shown, not waited for"),
                    .jwtWithFeed: milliseconds(measured.token, "revoking the access token"),
                    .hybrid: milliseconds(measured.minted, "signing out ends the minted token"),
                ],
                note: "From the revocation to the first refusal by a PortcullisVerifier following the feed."
            ),
        ]
    }

    /// For each of `emails`: signs in on `first`, has `second` cache the session, signs out on
    /// `first`, and times the first refusal on each instance from the moment the sign-out was sent.
    private func sessionSignOuts(
        _ emails: [String],
        first: ThrowawayInstance,
        second: ThrowawayInstance
    ) async throws -> (same: Timing, other: Timing) {
        var sameInstance: [Duration] = []
        var otherInstance: [Duration] = []
        for email in emails {
            let session = try await client.signIn(first.url, email: email, password: Self.password)
            guard try await client.me(second.url, cookie: session.cookie) == 200 else {
                throw ExperimentFailure("the second instance refused a live session")
            }
            let start = ContinuousClock.now
            try await client.signOut(first.url, session)
            sameInstance.append(try await untilRefused(since: start) { try await client.me(first.url, cookie: session.cookie) == 401 })
            otherInstance.append(try await untilRefused(since: start) { try await client.me(second.url, cookie: session.cookie) == 401 })
        }
        return (Timing(samples: sameInstance, elapsed: .zero), Timing(samples: otherInstance, elapsed: .zero))
    }

    /// A cell of `timing` in milliseconds.
    func milliseconds(_ timing: Timing, _ text: String? = nil) -> ComparisonReport.Cell {
        .measured(timing.p50 / 1000, p99: timing.p99 / 1000, text)
    }

    /// How long after `start` `refused` first holds, checking every millisecond for up to 10 s.
    private func untilRefused(since start: ContinuousClock.Instant, _ refused: () async throws -> Bool) async throws -> Duration {
        let deadline = start + .seconds(10)
        while ContinuousClock.now < deadline {
            if try await refused() { return ContinuousClock.now - start }
            try await Task.sleep(for: .milliseconds(1))
        }
        throw ExperimentFailure("a revoked credential was still accepted after 10 s")
    }
}

extension PortcullisVerifier {
    /// Whether `token` is refused as revoked.
    fileprivate func refuses(_ token: String) async -> Bool {
        do {
            _ = try await verify(token)
            return false
        } catch {
            return error == .revoked
        }
    }
}
