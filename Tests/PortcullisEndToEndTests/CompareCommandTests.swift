import Foundation
import NIOHTTP1
import PortcullisHTTP
import PortcullisTesting
import Testing

/// `portcullis compare`, run as a user runs it: every row of the table present, with figures that
/// match what a real server issues and outcomes that match what the stores promise.
@Suite("portcullis compare")
struct CompareCommandTests {
    /// The rows the JSON report must have, and the approaches each must fill.
    static let expectedRows: [String: Set<String>] = [
        "storage.server_bytes_per_user": ["session", "jwt", "jwt_feed", "hybrid"],
        "storage.revocation_bytes": ["jwt_feed", "hybrid"],
        "storage.client_bytes": ["session", "jwt", "jwt_feed", "hybrid"],
        "storage.header_bytes": ["session", "jwt", "jwt_feed", "hybrid"],
        "storage.token_bytes.EdDSA": ["jwt", "jwt_feed", "hybrid"],
        "storage.token_bytes.ES256": ["jwt", "jwt_feed", "hybrid"],
        "storage.token_bytes.RS256": ["jwt", "jwt_feed", "hybrid"],
        "cost.session.sqlite": ["session", "hybrid"],
        "cost.session.postgresql": ["session", "hybrid"],
        "cost.session.cache": ["session", "hybrid"],
        "cost.verify_cold.EdDSA": ["jwt", "jwt_feed", "hybrid"],
        "cost.verify_warm.EdDSA": ["jwt", "jwt_feed", "hybrid"],
        "cost.verify_cold.ES256": ["jwt", "jwt_feed", "hybrid"],
        "cost.verify_warm.ES256": ["jwt", "jwt_feed", "hybrid"],
        "cost.verify_cold.RS256": ["jwt", "jwt_feed", "hybrid"],
        "cost.verify_warm.RS256": ["jwt", "jwt_feed", "hybrid"],
        "scaling.shared": ["session", "jwt", "jwt_feed", "hybrid"],
        "scaling.second_instance_lookup": ["session", "hybrid"],
        "scaling.verifier_start": ["jwt", "jwt_feed", "hybrid"],
        "revocation.same_instance": ["session", "hybrid"],
        "revocation.other_instance": ["session", "hybrid"],
        "revocation.other_instance.postgresql": ["session", "hybrid"],
        "revocation.verifier": ["jwt", "jwt_feed", "hybrid"],
        "restarts.memory": ["session", "jwt", "jwt_feed", "hybrid"],
        "restarts.sqlite": ["session", "jwt", "jwt_feed", "hybrid"],
        "restarts.postgresql": ["session", "jwt", "jwt_feed", "hybrid"],
        "exposure.xss": ["session", "jwt", "jwt_feed", "hybrid"],
        "exposure.csrf": ["session", "jwt", "jwt_feed", "hybrid"],
    ]

    @Test func theJSONReportHasEveryRowWithFiguresThatMatchARealServer() async throws {
        let directory = try TemporaryDirectory()
        let htmlFile = directory.url.appendingPathComponent("compare.html")
        let run = await PortcullisBinary.run(["compare", "--duration", "1s", "--json", "--html", htmlFile.path], in: directory.url)
        #expect(run.status == 0, "\(run.stderr)")
        // A progress line per group of experiments and one per experiment, on standard error.
        let progress = run.stderr.split(separator: "\n")
        #expect(progress.filter { $0.hasPrefix("[") }.count == 6)
        #expect(progress.contains("      session lookup, SQLite"))
        #expect(progress.contains("      token checks, RS256"))
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let rows = try #require(report["rows"] as? [[String: Any]])
        var byID: [String: [String: [String: Any]]] = [:]
        for row in rows {
            let id = try #require(row["id"] as? String)
            byID[id] = try #require(row["cells"] as? [String: [String: Any]])
        }
        #expect(Set(byID.keys) == Set(Self.expectedRows.keys))
        for (id, approaches) in Self.expectedRows {
            #expect(Set(byID[id]?.keys.map { $0 } ?? []) == approaches, "\(id)")
        }
        func value(_ id: String, _ approach: String) -> Double? { byID[id]?[approach]?["value"] as? Double }
        func p99(_ id: String, _ approach: String) -> Double? { byID[id]?[approach]?["p99"] as? Double }
        func text(_ id: String, _ approach: String) -> String? { byID[id]?[approach]?["text"] as? String }

        // Every latency is positive, its 99th percentile no lower than its median.
        for (id, cells) in byID where id.hasPrefix("cost.") || id.hasPrefix("revocation.") || id.hasPrefix("scaling.") {
            for (approach, cell) in cells where cell["measured"] as? Bool == true && cell["value"] != nil {
                let median = try #require(cell["value"] as? Double)
                #expect(median > 0, "\(id) \(approach)")
                #expect((cell["p99"] as? Double ?? .infinity) >= median, "\(id) \(approach)")
            }
        }
        // The server keeps something per session and per refresh family; an RS256 token is the largest.
        #expect((value("storage.server_bytes_per_user", "session") ?? 0) > 32)
        #expect((value("storage.server_bytes_per_user", "jwt") ?? 0) > 32)
        #expect((value("storage.revocation_bytes", "jwt_feed") ?? 0) > 0)
        #expect((value("storage.token_bytes.RS256", "jwt") ?? 0) > (value("storage.token_bytes.EdDSA", "jwt") ?? .infinity))
        // The back-to-back rate is given as a number too, and agrees with the median.
        let cacheRate = try #require(byID["cost.session.cache"]?["session"]?["perSecond"] as? Double)
        #expect(cacheRate > 1_000)
        #expect(cacheRate < 2_000_000 / (value("cost.session.cache", "session") ?? .infinity))
        // A warm check is cheaper than a cold one; the cache is cheaper than SQLite.
        #expect((value("cost.verify_warm.EdDSA", "jwt") ?? .infinity) < (value("cost.verify_cold.EdDSA", "jwt") ?? 0))
        #expect((value("cost.session.cache", "session") ?? .infinity) < (value("cost.session.sqlite", "session") ?? 0))

        // Revocation: the feed reaches a verifier long before a bare token expires (5 minutes).
        let lifetime = try #require(value("revocation.verifier", "jwt"))
        #expect(lifetime == 300_000)
        #expect(byID["revocation.verifier"]?["jwt"]?["measured"] as? Bool == false)
        #expect(try #require(p99("revocation.verifier", "jwt_feed")) < lifetime)
        #expect(try #require(p99("revocation.verifier", "hybrid")) < lifetime)
        #expect(try #require(p99("revocation.other_instance", "session")) < 5_000)

        // Restarts: SQLite keeps the user signed in, memory: does not.
        #expect(text("restarts.sqlite", "session") == "still signed in")
        #expect(text("restarts.sqlite", "jwt") == "token still accepted")
        #expect(text("restarts.memory", "session") == "signed out")
        #expect(text("restarts.memory", "jwt") == "token refused")

        // Without --database the PostgreSQL rows say how to have them.
        #expect(text("cost.session.postgresql", "session")?.contains("--database") == true)
        #expect(text("restarts.postgresql", "session")?.contains("--database") == true)

        // Without a browser the exposure rows say they were not run.
        #expect(text("exposure.xss", "session")?.hasPrefix("not run") == true)
        #expect(byID["exposure.csrf"]?["session"]?["measured"] as? Bool == false)

        // The sizes are those a real server issues: its cookie and its EdDSA token.
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(in: directory.url, port: try LoopbackPort.free())
        let signIn = try await server.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": password])
        let cookie = try #require(signIn.sessionCookie)
        let grant = try await server.request(
            .POST,
            "/v1/token",
            json: ["grant_type": "password", "username": "ada@example.com", "password": password]
        )
        let token = try #require(grant.json["access_token"] as? String)
        _ = try await server.stop()
        #expect(value("storage.client_bytes", "session") == Double("__Host-portcullis_session=\(cookie)".utf8.count))
        #expect(value("storage.token_bytes.EdDSA", "jwt") == Double(token.utf8.count))
        #expect(value("storage.header_bytes", "jwt") == Double("Authorization: Bearer \(token)\r\n".utf8.count))

        // The verdicts name an approach for each kind of application.
        let verdicts = try #require(report["verdicts"] as? [[String: Any]])
        #expect(verdicts.count == 4)
        #expect(verdicts.allSatisfy { ($0["reason"] as? String)?.contains("?") == false })

        // The HTML page stands alone: no script, nothing fetched from elsewhere, a chart per cost and revocation row.
        let html = try String(contentsOf: htmlFile, encoding: .utf8)
        #expect(html.hasPrefix("<!doctype html>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        let charts = byID.filter { id, cells in
            (id.hasPrefix("cost.") || id.hasPrefix("revocation.")) && cells.values.contains { $0["value"] != nil }
        }.count
        #expect(html.components(separatedBy: "<svg").count - 1 == charts)
    }

    /// With `--database`, the PostgreSQL rows are measured, in a database of the run's own that
    /// is gone afterwards; with `--browser`, the attacks run in Chromium: page script reads a
    /// token from localStorage but not the HttpOnly cookie, and a cross-site form post fails
    /// against Portcullis and succeeds against the naive site with its defences off.
    @Test(
        .enabled(if: PostgresCluster.sharedURL != nil, "Scripts/test starts PostgreSQL"),
        .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "Scripts/test installs Chromium")
    )
    func measuresOnPostgreSQLInAThrowawayDatabaseAndAttacksInABrowser() async throws {
        let server = try #require(PostgresCluster.sharedURL)
        let directory = try TemporaryDirectory()
        let run = await PortcullisBinary.run(["compare", "--duration", "1s", "--json", "--database", server, "--browser"], in: directory.url)
        #expect(run.status == 0, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((report["machine"] as? [String: Any])?["stores"] as? [String] == ["memory", "sqlite", "postgresql"])
        let rows = try #require(report["rows"] as? [[String: Any]])
        func cell(_ id: String) -> [String: Any]? {
            (rows.first { $0["id"] as? String == id }?["cells"] as? [String: [String: Any]])?["session"]
        }
        #expect((cell("cost.session.postgresql")?["value"] as? Double ?? 0) > 0)
        #expect((cell("revocation.other_instance.postgresql")?["p99"] as? Double ?? .infinity) < 5_000)
        #expect(cell("restarts.postgresql")?["text"] as? String == "still signed in")
        func outcome(_ id: String, _ approach: String) -> String {
            (rows.first { $0["id"] as? String == id }?["cells"] as? [String: [String: Any]])?[approach]?["text"] as? String ?? ""
        }
        #expect(outcome("exposure.xss", "session").hasPrefix("script could not read the HttpOnly cookie"))
        #expect(outcome("exposure.xss", "session").contains("it read the naive site's cookie"))
        #expect(outcome("exposure.xss", "jwt") == "script read the token from localStorage")
        #expect(outcome("exposure.csrf", "session").hasPrefix("refused: still signed in"))
        #expect(outcome("exposure.csrf", "session").contains("the forged transfer went through"))
        // No database of the run is left on the server.
        let components = try #require(URLComponents(string: server))
        let arguments = [
            "-h", components.host ?? "127.0.0.1", "-p", "\(components.port ?? 5432)", "-U", "postgres", "-Atc", "SELECT datname FROM pg_database",
        ]
        // psql is waited for on a thread of its own, never on the cooperative pool.
        let (status, names) = await offloaded { () -> (Int32, String) in
            let psql = Process()
            psql.executableURL = PostgresCluster.binaries.appendingPathComponent("psql")
            psql.arguments = arguments
            let output = Pipe()
            psql.standardOutput = output
            guard (try? psql.run()) != nil else { return (-1, "") }
            let names = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            psql.waitUntilExit()
            return (psql.terminationStatus, names)
        }
        #expect(status == 0)
        #expect(names.contains("postgres"))
        #expect(!names.contains("portcullis_throwaway_"))
    }

    @Test func aDurationOutsideOneToSixtySecondsIsRefused() async throws {
        let directory = try TemporaryDirectory()
        for duration in ["soon", "0s", "61s"] {
            let run = await PortcullisBinary.run(["compare", "--duration", duration], in: directory.url)
            #expect(run.status != 0)
            #expect(run.stderr.contains("--duration"))
        }
    }
}
