import Foundation
import PortcullisHTTP
import PortcullisTesting

/// A PostgreSQL cluster of a test's own (initdb in a temporary directory, a free loopback port),
/// for tests that stop and restart the server; and a fresh database on the shared cluster that
/// Scripts/test started, for tests that only need one.
final class PostgresCluster: @unchecked Sendable {
    static var binaries: URL {
        URL(fileURLWithPath: ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES_BIN"] ?? "/usr/lib/postgresql/15/bin")
    }
    static var sharedURL: String? { ProcessInfo.processInfo.environment["PORTCULLIS_TEST_POSTGRES"] }

    let directory: TemporaryDirectory
    let port: Int
    var url: String { "postgres://postgres@127.0.0.1:\(port)/postgres" }

    /// Creates and starts a cluster.
    init() async throws {
        directory = try TemporaryDirectory()
        port = try LoopbackPort.free()
        if getuid() == 0 { chown(directory.url.path, Self.postgresUID, 0) }
        try await Self.asPostgres(["initdb", "-D", directory.path("data"), "-A", "trust", "-U", "postgres"])
        try await start()
    }

    func start() async throws {
        try await Self.asPostgres([
            "pg_ctl", "-D", directory.path("data"), "-l", directory.path("server.log"), "-w",
            "-o", "-p \(port) -k \(directory.url.path) -c listen_addresses=127.0.0.1", "start",
        ])
    }

    /// Stops the server at once, as a crash would.
    func stop() async throws {
        try await Self.asPostgres(["pg_ctl", "-D", directory.path("data"), "-m", "immediate", "-w", "stop"])
    }

    deinit { try? Self.spawnAndWait(["pg_ctl", "-D", directory.path("data"), "-m", "immediate", "-w", "stop"]) }

    /// A new, empty database on the cluster Scripts/test started.
    static func freshSharedDatabase() async throws -> String {
        guard let shared = sharedURL, var components = URLComponents(string: shared) else {
            throw Missing(description: "PORTCULLIS_TEST_POSTGRES is not set: run the tests with Scripts/test, which starts PostgreSQL")
        }
        let name = "portcullis_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let host = components.host ?? "127.0.0.1"
        let port = components.port ?? 5432
        try await offloaded { Result { try spawnAndWait(["createdb", "-h", host, "-p", "\(port)", "-U", "postgres", name], asPostgres: false) } }
            .get()
        components.path = "/" + name
        return components.string ?? shared
    }

    struct Missing: Error, CustomStringConvertible { let description: String }

    private static var postgresUID: uid_t { getpwnam("postgres").map { $0.pointee.pw_uid } ?? 0 }

    /// Runs a PostgreSQL tool as the `postgres` user (initdb refuses root) on a Dispatch thread.
    private static func asPostgres(_ arguments: [String]) async throws {
        try await offloaded { Result { try spawnAndWait(arguments) } }.get()
    }

    /// Runs a PostgreSQL tool and waits with `waitpid` directly: the server it starts outlives it
    /// and must not be waited for.
    private static func spawnAndWait(_ arguments: [String], asPostgres: Bool = true) throws {
        let tool = binaries.appendingPathComponent(arguments[0]).path
        let argv =
            getuid() == 0 && asPostgres
            ? ["/usr/sbin/runuser", "-u", "postgres", "--", tool] + arguments.dropFirst() : [tool] + arguments.dropFirst()
        var actions: posix_spawn_file_actions_t = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        guard posix_spawn(&pid, argv[0], &actions, nil, &cArguments, environ) == 0 else {
            throw Missing(description: "cannot run \(arguments[0])")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        guard status == 0 else { throw Missing(description: "\(arguments[0]) failed with status \(status)") }
    }
}
