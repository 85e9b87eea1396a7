import Benchmark
import Foundation
import PortcullisCore
import PortcullisSQLite

/// The two costs every login and every request pay: one password hash, one session validation.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(10))

    // One scrypt hash at OWASP parameters (N=2^17, r=8, p=1): the cost of a login or registration.
    Benchmark("Password hash (scrypt N=2^17 r=8 p=1)", configuration: .init(maxIterations: 20)) { benchmark in
        let hasher = PasswordHasher(parameters: .owasp, concurrency: 1)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await hasher.hash("correct horse battery staple"))
        }
    }

    // Validating a session cookie against the SQLite store (a read of the session and the
    // account; no write, since last_seen_at was just set).
    Benchmark("Session validation (SQLite)", configuration: .init(maxIterations: 100_000)) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("bench.sqlite").path)
        try await store.migrate()
        let (sessions, secret) = try await startSession(in: store)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await sessions.validate(secret))
        }
        benchmark.stopMeasurement()
        try await store.close()
    }

    // The same against the in-memory store: the cost of the session logic without storage.
    Benchmark("Session validation (memory)", configuration: .init(maxIterations: 100_000)) { benchmark in
        let (sessions, secret) = try await startSession(in: MemoryStore())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await sessions.validate(secret))
        }
    }
}

func startSession(in store: any PortcullisStore) async throws -> (SessionManager, SessionSecret) {
    let cheap = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
    let account = try await AccountService(store: store, hasher: cheap).register(email: "bench@example.com", password: "correct horse battery staple")
    let sessions = SessionManager(store: store)
    let started = try await sessions.start(account: account, remember: false, userAgent: "bench", ipAddress: "127.0.0.1")
    return (sessions, started.secret)
}
