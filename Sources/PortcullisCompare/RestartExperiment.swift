import PortcullisCore
import PortcullisHTTP

extension Experiments {
    /// Whether a signed-in user survives a restart of the server, per store: a session cookie and
    /// an access token obtained before are presented to the restarted server (same port, and the
    /// same key sealing the signing keys, as a key file would give it). A `memory:` store lives in the process, so the restarted server starts from an empty one.
    func restarts() async throws -> [ComparisonReport.Row] {
        step("memory:")
        let beforeMemory = try await signedIn(on: MemoryStore())
        let memory = try await survivors(of: beforeMemory, on: MemoryStore())
        step("SQLite")
        let beforeSQLite = try await withSQLite("restarts") { try await signedIn(on: $0) }
        let sqlite = try await withSQLite("restarts") { try await survivors(of: beforeSQLite, on: $0) }
        if self.postgres != nil { step("PostgreSQL") }
        let beforePostgres = try await withPostgres { try await signedIn(on: $0) }
        var afterPostgres: (session: Bool, token: Bool)?
        if let beforePostgres { afterPostgres = try await withPostgres { try await survivors(of: beforePostgres, on: $0) } }
        return [
            row(memory, store: "memory", label: "Restart, memory: store"),
            row(sqlite, store: "sqlite", label: "Restart, SQLite store"),
            row(afterPostgres, store: "postgresql", label: "Restart, PostgreSQL store"),
        ]
    }

    /// A cookie and a token for a new account on a server over `store`, which then stops.
    private func signedIn(on store: any PortcullisStore) async throws -> SignedIn {
        try await withInstance(store: store) { instance in
            let email = try await accounts(1, on: instance, prefix: "restart")[0]
            let session = try await client.signIn(instance.url, email: email, password: Self.password)
            let token = try await client.passwordGrant(instance.url, email: email, password: Self.password)
            return SignedIn(port: instance.port, cookie: session.cookie, token: token)
        }
    }

    /// What of `before` a server restarted on its port over `store` still accepts.
    private func survivors(of before: SignedIn, on store: any PortcullisStore) async throws -> (session: Bool, token: Bool) {
        try await withInstance(store: store, port: before.port) { restarted in
            (
                session: try await client.me(restarted.url, cookie: before.cookie) == 200,
                token: try await client.me(restarted.url, bearer: before.token) == 200
            )
        }
    }

    private func row(_ outcome: (session: Bool, token: Bool)?, store: String, label: String) -> ComparisonReport.Row {
        let session: ComparisonReport.Cell = outcome.map { .outcome($0.session ? "still signed in" : "signed out") } ?? Self.withoutPostgres
        let token: ComparisonReport.Cell = outcome.map { .outcome($0.token ? "token still accepted" : "token refused") } ?? Self.withoutPostgres
        return .init(
            id: "restarts.\(store)",
            group: .restarts,
            label: label,
            unit: "",
            cells: [.session: session, .jwt: token, .jwtWithFeed: token, .hybrid: session],
            note: "A cookie and a token from before the restart, presented to the restarted server."
        )
    }
}

/// The credentials a user held before a restart, and the port the server had.
private struct SignedIn: Sendable {
    var port: Int
    var cookie: String
    var token: String
}
