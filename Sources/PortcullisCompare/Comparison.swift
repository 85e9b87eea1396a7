import AsyncHTTPClient
import NIOPosix
import PortcullisCore
import PortcullisHTTP
public import PortcullisPostgres
import PortcullisSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Runs the sessions-vs-JWT experiments against throwaway servers on loopback and gathers the
/// measured table (docs/compare.md). Nothing touches the user's own data: every store is created
/// for the run and removed after it.
public enum Comparison {
    /// What to run, and for how long.
    public struct Options: Sendable {
        /// How long each throughput and latency experiment runs (at most ``longestDuration``).
        public var duration: Duration = .seconds(2)
        /// The longest ``duration``: the tokens a run verifies must outlive its cost experiments
        /// (about five times the duration) within their five-minute lifetime.
        public static let longestDuration: Duration = .seconds(60)
        /// A PostgreSQL server to measure on as well: a throwaway database is created on it for
        /// the run and dropped after (its role needs `CREATEDB`).
        public var postgres: PostgresConfiguration?
        /// Whether to run the CSRF and XSS experiments in headless Chromium.
        public var browser = false

        /// The defaults: two seconds per experiment.
        public init() {}
    }

    /// Whether `--browser` can run here: Chromium and chromedriver are installed.
    public static var browserIsAvailable: Bool { WebDriver.isAvailable }

    /// Runs every experiment in turn, reporting each as it starts through `progress`, and returns
    /// the table with the verdicts it supports.
    public static func run(_ options: Options, progress: @escaping @Sendable (String) -> Void) async throws -> ComparisonReport {
        let stores = try ThrowawayStores()
        defer { stores.remove() }
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow
        let http = HTTPClient(eventLoopGroup: MultiThreadedEventLoopGroup.singleton, configuration: settings)
        var database: ThrowawayPostgresDatabase?
        let rows: [ComparisonReport.Row]
        do {
            if let server = options.postgres {
                let created = try await ThrowawayPostgresDatabase.create(on: server)
                progress("measuring PostgreSQL in the throwaway database \(created.name), dropped at the end")
                database = created
            }
            let experiments = Experiments(
                options: options,
                stores: stores,
                postgres: database?.configuration,
                client: LoopbackClient(http: http),
                progress: progress
            )
            rows = try await experiments.runAll()
        } catch {
            try? await http.shutdown()
            await drop(database, progress: progress)
            throw error
        }
        try await http.shutdown()
        await drop(database, progress: progress)
        let machine = ComparisonReport.Machine(
            date: Date().formatted(.iso8601),
            cores: ProcessInfo.processInfo.activeProcessorCount,
            durationSeconds: options.duration / .seconds(1),
            stores: ["memory", "sqlite"] + (options.postgres == nil ? [] : ["postgresql"])
        )
        return ComparisonReport(
            machine: machine,
            approaches: ComparisonReport.Approach.allCases,
            rows: rows,
            verdicts: Verdicts.derive(from: rows)
        )
    }

    /// Drops the run's PostgreSQL database; a failure is reported rather than thrown, so that it
    /// does not discard the measurements, and names the database to drop by hand.
    private static func drop(_ database: ThrowawayPostgresDatabase?, progress: @Sendable (String) -> Void) async {
        guard let database else { return }
        do {
            try await database.drop()
        } catch {
            progress("warning: could not drop the throwaway database \(database.name) (\(error)); drop it by hand")
        }
    }
}

/// The experiments of one run and what they share: the options, the throwaway stores, one HTTP
/// client, and where progress goes. Each group of rows is measured in its own file.
struct Experiments: Sendable {
    let options: Comparison.Options
    let stores: ThrowawayStores
    /// The throwaway PostgreSQL database, when the run measures on one.
    let postgres: PostgresConfiguration?
    let client: LoopbackClient
    let progress: @Sendable (String) -> Void

    /// The password of every throwaway account.
    static let password = "correct horse battery staple 42"

    /// Every group, in the order of the table.
    func runAll() async throws -> [ComparisonReport.Row] {
        let steps: [(String, () async throws -> [ComparisonReport.Row])] = [
            ("storage: what the server keeps and the client carries", storage),
            ("cost: validating a session and verifying a token", cost),
            ("scaling: what a second instance needs", scaling),
            ("revocation: from sign-out to refusal", revocation),
            ("restarts: who is still signed in", restarts),
            ("exposure: cookies and tokens within reach of page script", { options.browser ? try await exposureInBrowser() : exposure() }),
        ]
        var rows: [ComparisonReport.Row] = []
        for (index, (title, step)) in steps.enumerated() {
            progress("[\(index + 1)/\(steps.count)] \(title)")
            rows += try await step()
        }
        return rows
    }

    /// Reports one experiment within a group, under the group's progress line.
    func step(_ text: String) {
        progress("      " + text)
    }

    /// Runs `body` with an instance over `store` (configured by `configure`), stopped afterwards
    /// whether `body` succeeded or not; the store stays open.
    func withInstance<Result: Sendable>(
        store: any PortcullisStore,
        port: Int? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in },
        _ body: (ThrowawayInstance) async throws -> Result
    ) async throws -> Result {
        let instance = try await ThrowawayInstance.start(store: store, keyEncryption: stores.keyEncryption, port: port, configure: configure)
        do {
            let result = try await body(instance)
            await instance.stop()
            return result
        } catch {
            await instance.stop()
            throw error
        }
    }

    /// Runs `body` with the migrated SQLite store `name` of this run, closed afterwards whether
    /// `body` succeeded or not.
    func withSQLite<Result: Sendable>(_ name: String, _ body: (SQLiteStore) async throws -> Result) async throws -> Result {
        try await closing(try await stores.sqlite(name), body)
    }

    /// Runs `body` with a started, migrated store on the throwaway PostgreSQL database, closed
    /// afterwards; `nil` when the run has no PostgreSQL.
    func withPostgres<Result: Sendable>(_ body: (PostgresStore) async throws -> Result) async throws -> Result? {
        guard let postgres else { return nil }
        let store = try PostgresStore(configuration: postgres)
        store.start()
        return try await closing(store) { store in
            try await store.migrate()
            return try await body(store)
        }
    }

    /// `body`'s result with `store`, which is closed afterwards whether `body` succeeded or not.
    private func closing<Store: PortcullisStore, Result: Sendable>(
        _ store: Store,
        _ body: (Store) async throws -> Result
    ) async throws -> Result {
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// The cell of an experiment on PostgreSQL when the run has none.
    static let withoutPostgres = ComparisonReport.Cell.notRun("not run: give --database postgres://…")

    /// Registers `count` accounts on `instance` directly (no HTTP: their hashing is not a measure)
    /// and returns their emails.
    func accounts(_ count: Int, on instance: ThrowawayInstance, prefix: String) async throws -> [String] {
        var emails: [String] = []
        for index in 0..<count {
            let email = "\(prefix)\(index)@compare.example"
            _ = try await instance.services.accounts.register(email: email, password: Self.password)
            emails.append(email)
        }
        return emails
    }
}
