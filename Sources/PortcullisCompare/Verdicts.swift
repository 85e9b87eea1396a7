/// Which approach fits each kind of application, argued from the measured rows.
enum Verdicts {
    /// The verdicts for a monolith, microservices, a mobile app and a cross-domain API.
    static func derive(from rows: [ComparisonReport.Row]) -> [ComparisonReport.Verdict] {
        let figures = Figures(rows: rows)
        return [
            .init(
                application: "Monolith (one site, server-rendered or same-origin API)",
                approach: .session,
                reason: "A session lookup costs \(figures["cost.session.cache", .session]) µs from the cache "
                    + "(\(figures["cost.session.sqlite", .session]) µs from SQLite); a sign-out is refused by the next request "
                    + "(\(figures.p99("revocation.same_instance", .session)) ms p99) and by other instances within "
                    + "\(figures.p99("revocation.other_instance", .session)) ms p99; the browser carries a "
                    + "\(figures["storage.client_bytes", .session])-byte HttpOnly cookie instead of a "
                    + "\(figures["storage.client_bytes", .jwt])-byte token, and instances share only the store."
            ),
            .init(
                application: "Microservices behind a browser front end",
                approach: .hybrid,
                reason: "The browser keeps its HttpOnly session and mints short tokens for the services; each service checks one offline in "
                    + "\(figures["cost.verify_warm.EdDSA", .jwtWithFeed]) µs warm and \(figures["cost.verify_cold.EdDSA", .jwtWithFeed]) µs cold, "
                    + "asking no one, and signing out ends the minted tokens at every verifier within "
                    + "\(figures.p99("revocation.verifier", .hybrid)) ms p99."
            ),
            .init(
                application: "Mobile app or CLI",
                approach: .jwtWithFeed,
                reason: "No cookie jar and no CSRF to handle: the app sends a \(figures["storage.token_bytes.EdDSA", .jwt])-byte EdDSA token, "
                    + "the server keeps \(figures["storage.server_bytes_per_user", .jwt]) bytes of refresh-token state per user, and a revoked "
                    + "token is refused by verifiers within \(figures.p99("revocation.verifier", .jwtWithFeed)) ms p99 rather than after its "
                    + "remaining lifetime (\(figures.seconds("revocation.verifier", .jwt)) s)."
            ),
            .init(
                application: "Cross-domain API (called from other sites)",
                approach: .jwtWithFeed,
                reason: "A SameSite cookie does not travel to another site, and relaxing it would invite CSRF; a bearer header "
                    + "(\(figures["storage.header_bytes", .jwt]) bytes per request) does, and is never sent by a browser on its own. "
                    + "Follow the feed: without it a stolen token works for up to \(figures.seconds("revocation.verifier", .jwt)) s."
            ),
        ]
    }
}

/// The rows' figures formatted for prose: `?` where a row or a cell is missing.
private struct Figures {
    let rows: [ComparisonReport.Row]

    subscript(_ id: String, _ approach: ComparisonReport.Approach) -> String {
        format(cell(id, approach)?.value)
    }

    func p99(_ id: String, _ approach: ComparisonReport.Approach) -> String {
        format(cell(id, approach)?.p99)
    }

    /// A figure in milliseconds, as seconds.
    func seconds(_ id: String, _ approach: ComparisonReport.Approach) -> String {
        format(cell(id, approach)?.value.map { $0 / 1000 })
    }

    private func cell(_ id: String, _ approach: ComparisonReport.Approach) -> ComparisonReport.Cell? {
        rows.first { $0.id == id }?.cells[approach]
    }

    private func format(_ value: Double?) -> String {
        value.map(FigureFormat.text) ?? "?"
    }
}
