import ArgumentParser
import Foundation
import PortcullisCompare
import PortcullisHTTP
import PortcullisPostgres

/// `portcullis compare`: the sessions-vs-JWT table, measured on this machine (docs/compare.md).
struct CompareCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "compare",
        abstract: "Measure sessions, JWTs and both on this machine, and print the comparison table.",
        discussion: """
            Runs experiments against throwaway servers on loopback (never your data): what the server \
            keeps and the client carries, what validating costs, what a second instance needs, how fast a \
            revocation is refused, and who survives a restart. Progress goes to standard error.
            """
    )

    @Option(
        help: ArgumentHelp(
            "Also measure on this PostgreSQL server, in a database created for the run and dropped after it.",
            valueName: "postgres://USER:PASS@HOST:PORT/DB"
        )
    )
    var database: String?

    @Option(help: "How long each throughput and latency experiment runs: 1s to 60s.")
    var duration: String = "2s"

    @Flag(help: "Run the CSRF and XSS experiments in headless Chromium (needs chromium and chromedriver).") var browser = false
    @Flag(help: "Print the report as JSON.") var json = false
    @Flag(help: "Print the report as Markdown.") var markdown = false
    @Option(help: "Also write the report as a self-contained HTML page to this file.") var html: String?

    func validate() throws {
        guard let duration = Duration(setting: duration), duration > .zero, duration <= Comparison.Options.longestDuration else {
            throw ValidationError("--duration must be 1s to 60s, as in 1s or 10s")
        }
        if browser, !Comparison.browserIsAvailable {
            throw ValidationError("--browser needs Chromium and chromedriver (Debian: apt-get install chromium chromium-driver)")
        }
        if let html, !FileManager.default.fileExists(atPath: URL(fileURLWithPath: html).deletingLastPathComponent().path) {
            throw ValidationError("--html: the folder of \(html) does not exist")
        }
        if json && markdown { throw ValidationError("choose one of --json and --markdown") }
        if let database {
            guard database.hasPrefix("postgres://") || database.hasPrefix("postgresql://") else {
                throw ValidationError("--database takes a postgres:// URL (SQLite and memory: are always measured)")
            }
            _ = try PostgresConfiguration(database)
        }
    }

    func run() async throws {
        var options = Comparison.Options()
        options.duration = Duration(setting: duration) ?? options.duration
        options.postgres = try database.map { try PostgresConfiguration($0) }
        options.browser = browser
        let report = try await Comparison.run(options) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        if let html {
            try Data(HTMLReport.render(report).utf8).write(to: URL(fileURLWithPath: html))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(report), as: UTF8.self))
        } else if markdown {
            print(MarkdownReport.render(report), terminator: "")
        } else {
            print(TerminalTable.render(report), terminator: "")
        }
    }
}
