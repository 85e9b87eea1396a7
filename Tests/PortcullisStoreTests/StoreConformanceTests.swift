import Foundation
import PortcullisCore
import PortcullisPostgres
import PortcullisSQLite
import PortcullisTesting
import Testing

/// Every store backend, made fresh for one test.
enum Backend: String, CaseIterable, CustomTestStringConvertible, StoreConformanceBackend {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    var writesOneAtATime: Bool { self == .sqlite }

    /// The SQLite store keeps attempt counts in its process.
    var sharesAttemptCountsBetweenInstances: Bool { self != .sqlite }

    /// The backends to test: PostgreSQL whenever Scripts/test started a server, and always in CI.
    static var available: [Backend] {
        TestPostgres.serverURL != nil || TestPostgres.isCI ? allCases : [.memory, .sqlite]
    }

    /// Runs `body` with a fresh, migrated store, and closes it afterwards.
    func withStore(_ body: (any PortcullisStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let store: any PortcullisStore
        switch self {
        case .memory: store = MemoryStore()
        case .sqlite: store = try await SQLiteStore.open(path: directory.path("store.sqlite"))
        case .postgres: store = try await TestPostgres.freshStore()
        }
        try await store.migrate()
        do {
            try await body(store)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    /// Runs `body` with two store instances on the same data (two connections to one SQLite file,
    /// two connection pools on one PostgreSQL database, or the one memory store twice).
    func withTwoStores(_ body: (any PortcullisStore, any PortcullisStore) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let first: any PortcullisStore
        let second: any PortcullisStore
        switch self {
        case .memory:
            first = MemoryStore()
            second = first
        case .sqlite:
            first = try await SQLiteStore.open(path: directory.path("store.sqlite"))
            try await first.migrate()
            second = try await SQLiteStore.open(path: directory.path("store.sqlite"))
        case .postgres:
            let url = try await TestPostgres.databaseURL()
            let a = try PostgresStore(url: url, operationTimeout: .seconds(30))
            let b = try PostgresStore(url: url, operationTimeout: .seconds(30))
            a.start()
            b.start()
            (first, second) = (a, b)
        }
        try await first.migrate()
        try await second.migrate()
        do {
            try await body(first, second)
        } catch {
            try? await first.close()
            if self != .memory { try? await second.close() }
            throw error
        }
        try await first.close()
        if self != .memory { try await second.close() }
    }
}

/// Portcullis's own backends against the store conformance checks that `PortcullisTesting`
/// publishes for every backend (docs/design.md#the-store-protocols).
@Suite("Store conformance", .timeLimit(.minutes(3)))
struct StoreConformanceTests {
    @Test(arguments: Backend.available, StoreConformance.checks)
    func conformance(backend: Backend, check: StoreConformanceCheck) async throws {
        try await check.run(on: backend)
    }
}
