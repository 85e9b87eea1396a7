import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTokens

extension Experiments {
    /// What the server keeps per signed-in user (the store's bytes before and after signing
    /// users in, measured table by table) and what the client carries (the cookie, and a token per
    /// signing algorithm, exactly as the server issued them).
    func storage() async throws -> [ComparisonReport.Row] {
        let users = 20
        step("20 users sign in, get tokens, mint, revoke and sign out")
        let measured = try await withSQLite("storage") { store in
            try await withInstance(store: store) { instance in
                let emails = try await accounts(users, on: instance, prefix: "storage")
                let start = try await totalBytes(store)
                var sessions: [LoopbackClient.BrowserSession] = []
                for email in emails { sessions.append(try await client.signIn(instance.url, email: email, password: Self.password)) }
                let afterSessions = try await totalBytes(store)
                var tokens: [String] = []
                for email in emails { tokens.append(try await client.passwordGrant(instance.url, email: email, password: Self.password)) }
                let afterTokens = try await totalBytes(store)
                for session in sessions { _ = try await client.mintToken(instance.url, from: session) }
                let afterMinting = try await totalBytes(store)
                let feedBefore = try await revocationLogBytes(store)
                for token in tokens { try await client.revoke(instance.url, token: token) }
                let afterRevoking = try await revocationLogBytes(store)
                for session in sessions { try await client.signOut(instance.url, session) }
                let afterSigningOut = try await revocationLogBytes(store)
                return StorageGrowth(
                    sessions: (afterSessions - start) / users,
                    refresh: (afterTokens - afterSessions) / users,
                    minted: (afterMinting - afterTokens) / users,
                    tokenRevocations: (afterRevoking - feedBefore) / users,
                    sessionRevocations: (afterSigningOut - afterRevoking) / users,
                    cookie: sessions[0].cookie,
                    token: tokens[0]
                )
            }
        }

        var tokenSizes: [SigningAlgorithm: Int] = [.eddsa: measured.token.utf8.count]
        step("token sizes per signing algorithm")
        for algorithm in [SigningAlgorithm.es256, .rs256] {
            tokenSizes[algorithm] = try await issuedTokenSize(algorithm)
        }
        let cookieBytes = Double(measured.cookie.utf8.count)
        let tokenBytes = Double(measured.token.utf8.count)
        var rows: [ComparisonReport.Row] = [
            .init(
                id: "storage.server_bytes_per_user",
                group: .storage,
                label: "Server keeps per signed-in user",
                unit: "bytes",
                cells: [
                    .session: .measured(Double(measured.sessions), "the session row"),
                    .jwt: .measured(Double(measured.refresh), "refresh-token state; the access token itself: none"),
                    .jwtWithFeed: .measured(Double(measured.refresh), "as JWT"),
                    .hybrid: .measured(Double(measured.sessions + measured.minted), "the session row; minted tokens: none"),
                ],
                note: "Growth of the SQLite store's rows (values' bytes) per user signed in, over \(users) users."
            ),
            .init(
                id: "storage.revocation_bytes",
                group: .storage,
                label: "Server keeps per revoked token",
                unit: "bytes",
                cells: [
                    .jwtWithFeed: .measured(Double(measured.tokenRevocations), "per revoked token, until it would have expired"),
                    .hybrid: .measured(Double(measured.sessionRevocations), "per ended session, until its tokens would have expired"),
                ],
                note: "Growth of the revocation log (the entries verifiers read from the feed) per access token revoked, and per session signed out."
            ),
            .init(
                id: "storage.client_bytes",
                group: .storage,
                label: "Client carries",
                unit: "bytes",
                cells: [
                    .session: .measured(cookieBytes, "cookie"),
                    .jwt: .measured(tokenBytes, "EdDSA token"),
                    .jwtWithFeed: .measured(tokenBytes, "EdDSA token"),
                    .hybrid: .measured(cookieBytes, "cookie, plus a token per service call"),
                ],
                note: "The session cookie's name=value, and an access token, as the server issued them."
            ),
            .init(
                id: "storage.header_bytes",
                group: .storage,
                label: "Request header per call",
                unit: "bytes",
                cells: [
                    .session: .measured(Double("Cookie: \(measured.cookie)\r\n".utf8.count)),
                    .jwt: .measured(Double("Authorization: Bearer \(measured.token)\r\n".utf8.count)),
                    .jwtWithFeed: .measured(Double("Authorization: Bearer \(measured.token)\r\n".utf8.count)),
                    .hybrid: .measured(Double("Cookie: \(measured.cookie)\r\n".utf8.count), "to the site; a bearer header to services"),
                ],
                note: "The bytes each request spends on the credential, header line included."
            ),
        ]
        for algorithm in [SigningAlgorithm.eddsa, .es256, .rs256] {
            let size = Double(tokenSizes[algorithm] ?? 0)
            rows.append(
                .init(
                    id: "storage.token_bytes.\(algorithm.rawValue)",
                    group: .storage,
                    label: "Access token, \(algorithm.rawValue)",
                    unit: "bytes",
                    cells: [.jwt: .measured(size), .jwtWithFeed: .measured(size), .hybrid: .measured(size)],
                    note: "An access token with the default claims signed with \(algorithm.rawValue)."
                )
            )
        }
        return rows
    }

    /// The bytes of the revocation log, the table the feed is read from.
    private func revocationLogBytes(_ store: SQLiteStore) async throws -> Int {
        try await store.footprint()["revocations"]?.bytes ?? 0
    }

    /// The sum of every table's bytes.
    private func totalBytes(_ store: SQLiteStore) async throws -> Int {
        try await store.footprint().values.reduce(0) { $0 + $1.bytes }
    }

    /// The length of an access token from the password grant of a server signing with `algorithm`.
    private func issuedTokenSize(_ algorithm: SigningAlgorithm) async throws -> Int {
        try await withInstance(store: MemoryStore(), configure: { $0.signingAlgorithm = algorithm }) { instance in
            let email = try await accounts(1, on: instance, prefix: "size")[0]
            return try await client.passwordGrant(instance.url, email: email, password: Self.password).utf8.count
        }
    }
}

/// Bytes per user the store grew by at each step, and one credential of each kind.
private struct StorageGrowth: Sendable {
    var sessions: Int
    var refresh: Int
    var minted: Int
    var tokenRevocations: Int
    var sessionRevocations: Int
    var cookie: String
    var token: String
}
