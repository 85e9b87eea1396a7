import Foundation
import PortcullisCore
import PortcullisSQLite
import PortcullisTesting
import Testing

/// What only the SQLite store has: a file that outlives the process, and a schema version.
@Suite("SQLite store")
struct SQLiteStoreTests {
    @Test func migrationIsIdempotent() async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("db.sqlite"))
        try await store.migrate()
        try await store.insertAccount(Account(email: "ada@example.com", createdAt: Date(epochSeconds: 1)), passwordHash: "h")
        try await store.migrate()
        try await store.migrate()
        #expect(try await store.allAccounts().count == 1)
        try await store.close()
    }

    @Test func dataSurvivesReopening() async throws {
        let directory = try TemporaryDirectory()
        let ada = Account(email: "ada@example.com", createdAt: Date(epochSeconds: 1_800_000_000))
        let secret = SessionSecret.generate()
        let session = Session(
            id: "s1",
            accountID: ada.id,
            secretHash: secret.hash,
            createdAt: ada.createdAt,
            lastSeenAt: ada.createdAt,
            idleTimeout: .seconds(1800),
            absoluteExpiry: ada.createdAt.addingTimeInterval(43200),
            remember: true,
            userAgent: nil,
            ipAddress: nil
        )
        do {
            let store = try await SQLiteStore.open(path: directory.path("db.sqlite"))
            try await store.migrate()
            try await store.insertAccount(ada, passwordHash: "h")
            try await store.insertSession(session)
            try await store.close()
        }
        let reopened = try await SQLiteStore.open(path: directory.path("db.sqlite"))
        try await reopened.migrate()
        #expect(try await reopened.account(id: ada.id) == ada)
        #expect(try await reopened.session(secretHash: secret.hash) == session)
        try await reopened.close()
    }

    @Test func aClosedStoreReportsUnavailable() async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("db.sqlite"))
        try await store.migrate()
        try await store.close()
        await #expect(throws: StoreError.self) { try await store.checkHealth() }
        await #expect(throws: StoreError.self) { try await store.account(email: "ada@example.com") }
    }

    @Test func anUnopenablePathReportsUnavailable() async throws {
        await #expect(throws: StoreError.self) {
            _ = try await SQLiteStore.open(path: "/nonexistent-directory/db.sqlite")
        }
    }
}
