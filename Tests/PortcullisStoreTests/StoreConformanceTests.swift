import Foundation
import PortcullisCore
import PortcullisSQLite
import PortcullisTesting
import Testing

/// Every store backend, made fresh for one test.
enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case memory
    case sqlite
    case postgres

    var testDescription: String { rawValue }

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
}

/// One behavioural suite that every store must pass (docs/design.md#the-store-protocols): a
/// backend is done when it passes it. Times are whole seconds, as the stores keep them.
@Suite("Store conformance")
struct StoreConformanceTests {
    static let t0 = Date(epochSeconds: 1_800_000_000)

    static func account(_ email: String, roles: [String] = []) -> Account {
        Account(email: email, roles: roles, createdAt: t0)
    }

    static func session(for account: Account, id: String = UUID().uuidString, at time: Date = t0, idle: Int64 = 1800, absolute: Int64 = 43200) -> Session {
        Session(
            id: id, accountID: account.id, secretHash: SessionSecret.generate().hash, createdAt: time, lastSeenAt: time,
            idleTimeout: .seconds(idle), absoluteExpiry: time.addingTimeInterval(TimeInterval(absolute)),
            remember: false, userAgent: "Agent/1", ipAddress: "192.0.2.1"
        )
    }

    @Test(arguments: Backend.available)
    func accountsRoundTrip(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com", roles: ["admin", "support"])
            try await store.insertAccount(ada, passwordHash: "$scrypt$hash")
            #expect(try await store.account(id: ada.id) == ada)
            #expect(try await store.account(email: "ada@example.com") == ada)
            #expect(try await store.account(email: "bob@example.com") == nil)
            #expect(try await store.account(id: "missing") == nil)
            #expect(try await store.passwordHash(accountID: ada.id) == "$scrypt$hash")
        }
    }

    @Test(arguments: Backend.available)
    func emailsAreUnique(backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.insertAccount(Self.account("ada@example.com"), passwordHash: "h1")
            await #expect(throws: StoreError.self) {
                try await store.insertAccount(Self.account("ada@example.com"), passwordHash: "h2")
            }
            #expect(try await store.allAccounts().count == 1)
            #expect(try await store.passwordHash(accountID: try #require(try await store.account(email: "ada@example.com")).id) == "h1")
        }
    }

    @Test(arguments: Backend.available)
    func accountsUpdateAndList(backend: Backend) async throws {
        try await backend.withStore { store in
            var ada = Self.account("ada@example.com")
            let bob = Account(email: "bob@example.com", createdAt: Self.t0.addingTimeInterval(5))
            try await store.insertAccount(bob, passwordHash: "h")
            try await store.insertAccount(ada, passwordHash: "h")
            ada.roles = ["admin"]
            ada.disabledAt = Self.t0.addingTimeInterval(60)
            // Each change touches only its own field; disabling again keeps the first time.
            #expect(try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: Self.t0.addingTimeInterval(60))?.roles == [])
            #expect(try await store.changeAccount(id: ada.id, AccountChange(roles: ["admin"]), at: Self.t0) == ada)
            #expect(try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: Self.t0.addingTimeInterval(90)) == ada)
            #expect(try await store.account(id: ada.id) == ada)
            #expect(try await store.changeAccount(id: "ghost", AccountChange(disabled: true), at: Self.t0) == nil)
            var enabled = ada
            enabled.disabledAt = nil
            #expect(try await store.changeAccount(id: ada.id, AccountChange(disabled: false), at: Self.t0) == enabled)
            #expect(try await store.allAccounts().map(\.email) == ["ada@example.com", "bob@example.com"])
            _ = try await store.apply([.setPasswordHash(accountID: ada.id, hash: "new")], stamp: RevocationStamp(revokedAt: Self.t0, expiresAt: Self.t0))
            #expect(try await store.passwordHash(accountID: ada.id) == "new")
        }
    }

    @Test(arguments: Backend.available)
    func sessionsAreFoundByHashAndByID(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com")
            try await store.insertAccount(ada, passwordHash: "h")
            let session = Self.session(for: ada)
            try await store.insertSession(session)
            #expect(try await store.session(secretHash: session.secretHash) == session)
            #expect(try await store.session(id: session.id) == session)
            #expect(try await store.session(secretHash: SessionSecret.generate().hash) == nil)
            #expect(try await store.session(id: "missing") == nil)
        }
    }

    @Test(arguments: Backend.available)
    func aSessionIsReadWithItsAccountInOneQuery(backend: Backend) async throws {
        try await backend.withStore { store in
            var ada = Self.account("ada@example.com", roles: ["admin", "support"])
            ada.emailVerifiedAt = Self.t0.addingTimeInterval(7)
            try await store.insertAccount(ada, passwordHash: "h")
            try await store.insertAccount(Self.account("bob@example.com"), passwordHash: "h")
            let session = Self.session(for: ada)
            try await store.insertSession(session)
            let found = try #require(try await store.sessionWithAccount(secretHash: session.secretHash))
            #expect(found.session == session)
            #expect(found.account == ada)
            #expect(try await store.sessionWithAccount(secretHash: SessionSecret.generate().hash) == nil)
            // A disabled account is still returned: the caller decides what it means.
            _ = try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: Self.t0.addingTimeInterval(9))
            #expect(try await store.sessionWithAccount(secretHash: session.secretHash)?.account.disabledAt == Self.t0.addingTimeInterval(9))
        }
    }

    @Test(arguments: Backend.available)
    func recentlySeenSessionsAreListedNewestFirstWithTheirAccounts(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com")
            let bob = Self.account("bob@example.com", roles: ["support"])
            try await store.insertAccount(ada, passwordHash: "h")
            try await store.insertAccount(bob, passwordHash: "h")
            try await store.insertSession(Self.session(for: ada, id: "old", at: Self.t0))
            try await store.insertSession(Self.session(for: ada, id: "a", at: Self.t0.addingTimeInterval(60)))
            try await store.insertSession(Self.session(for: bob, id: "b", at: Self.t0.addingTimeInterval(90)))
            try await store.insertSession(Self.session(for: ada, id: "c", at: Self.t0.addingTimeInterval(30)))
            try await store.touchSession(id: "c", lastSeenAt: Self.t0.addingTimeInterval(120))

            let recent = try await store.sessionsWithAccounts(seenSince: Self.t0.addingTimeInterval(60), after: nil, limit: 10)
            #expect(recent.map(\.session.id) == ["c", "b", "a"])
            #expect(recent.map(\.account.email) == ["ada@example.com", "bob@example.com", "ada@example.com"])
            #expect(recent[1].account == bob)
            #expect(try await store.sessionsWithAccounts(seenSince: Self.t0, after: nil, limit: 10).count == 4)
            #expect(try await store.sessionsWithAccounts(seenSince: Self.t0.addingTimeInterval(121), after: nil, limit: 10).isEmpty)

            // Page by page, ties on last_seen_at broken by id, nothing repeated or skipped.
            for id in ["t1", "t3", "t2"] { try await store.insertSession(Self.session(for: bob, id: id, at: Self.t0.addingTimeInterval(90))) }
            var pages: [[String]] = []
            var last: Session?
            repeat {
                let page = try await store.sessionsWithAccounts(seenSince: Self.t0.addingTimeInterval(60), after: last, limit: 2)
                if page.isEmpty { break }
                pages.append(page.map(\.session.id))
                last = page.last?.session
            } while true
            #expect(pages == [["c", "t3"], ["t2", "t1"], ["b", "a"]])
        }
    }

    @Test(arguments: Backend.available)
    func sessionsListTouchAndDelete(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com")
            let bob = Self.account("bob@example.com")
            try await store.insertAccount(ada, passwordHash: "h")
            try await store.insertAccount(bob, passwordHash: "h")
            let older = Self.session(for: ada, id: "a1")
            let newer = Self.session(for: ada, id: "a2", at: Self.t0.addingTimeInterval(10))
            let bobs = Self.session(for: bob, id: "b1")
            for session in [older, newer, bobs] { try await store.insertSession(session) }

            #expect(try await store.sessions(accountID: ada.id).map(\.id) == ["a2", "a1"])
            try await store.touchSession(id: "a1", lastSeenAt: Self.t0.addingTimeInterval(300))
            #expect(try await store.session(id: "a1")?.lastSeenAt == Self.t0.addingTimeInterval(300))

            #expect(try await store.deleteSession(id: "a1"))
            #expect(try await store.deleteSession(id: "a1") == false)
            #expect(try await store.session(secretHash: older.secretHash) == nil)

            #expect(try await store.sessions(accountID: ada.id).map(\.id) == ["a2"])
            #expect(try await store.session(id: "b1") != nil)
        }
    }

    @Test(arguments: Backend.available)
    func expiredSessionsAreSwept(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com")
            try await store.insertAccount(ada, passwordHash: "h")
            try await store.insertSession(Self.session(for: ada, id: "idle", idle: 60, absolute: 3600))
            try await store.insertSession(Self.session(for: ada, id: "absolute", idle: 7200, absolute: 120))
            try await store.insertSession(Self.session(for: ada, id: "alive", idle: 600, absolute: 3600))
            #expect(try await store.deleteExpiredSessions(now: Self.t0.addingTimeInterval(59)) == 0)
            #expect(try await store.deleteExpiredSessions(now: Self.t0.addingTimeInterval(120)) == 2)
            #expect(try await store.sessions(accountID: ada.id).map(\.id) == ["alive"])
        }
    }

    @Test(arguments: Backend.available)
    func concurrentWritesAllLand(backend: Backend) async throws {
        try await backend.withStore { store in
            let ada = Self.account("ada@example.com")
            try await store.insertAccount(ada, passwordHash: "h")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for index in 0..<50 {
                    group.addTask { try await store.insertSession(Self.session(for: ada, id: "s\(index)")) }
                    group.addTask { try await store.insertAccount(Self.account("user\(index)@example.com"), passwordHash: "h") }
                }
                try await group.waitForAll()
            }
            #expect(try await store.sessions(accountID: ada.id).count == 50)
            #expect(try await store.allAccounts().count == 51)
        }
    }

    @Test(arguments: Backend.available)
    func concurrentRegistrationsOfOneEmailYieldOneAccount(backend: Backend) async throws {
        try await backend.withStore { store in
            let outcomes = await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask { (try? await store.insertAccount(Self.account("ada@example.com"), passwordHash: "h")) != nil }
                }
                return await group.reduce(into: [Bool]()) { $0.append($1) }
            }
            let stored = try await store.allAccounts()
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(stored.count == 1)
        }
    }
}
