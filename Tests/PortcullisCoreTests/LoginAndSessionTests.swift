import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import Testing

@Suite("Sessions and login in the core")
struct SessionManagerTests {
    static let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))

    func setUp() async throws -> (MemoryStore, ManualClock, SessionManager, Account) {
        let store = MemoryStore()
        let clock = ManualClock()
        let account = try await AccountService(store: store, hasher: Self.hasher, clock: clock).register(
            email: "ada@example.com",
            password: "correct horse battery staple"
        )
        return (store, clock, SessionManager(store: store, clock: clock), account)
    }

    @Test func validationWritesLastSeenAtMostOncePerMinute() async throws {
        let (store, clock, sessions, account) = try await setUp()
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        let createdAt = started.session.lastSeenAt
        clock.advance(by: .seconds(30))
        _ = try #require(try await sessions.validate(started.secret))
        #expect(try await store.session(id: started.session.id)?.lastSeenAt == createdAt)
        clock.advance(by: .seconds(29))
        _ = try #require(try await sessions.validate(started.secret))
        #expect(try await store.session(id: started.session.id)?.lastSeenAt == createdAt)
        clock.advance(by: .seconds(1))
        _ = try #require(try await sessions.validate(started.secret))
        #expect(try await store.session(id: started.session.id)?.lastSeenAt == createdAt.addingTimeInterval(60))
    }

    @Test func theStoreKeepsOnlyTheHashOfTheSecret() async throws {
        let (store, _, sessions, account) = try await setUp()
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        let stored = try #require(try await store.session(id: started.session.id))
        #expect(stored.secretHash == started.secret.hash)
        #expect(stored.secretHash != started.secret.bytes)
        #expect(!stored.id.contains(started.secret.cookieValue))
    }

    @Test func expiredSessionsAreRefusedAndDeleted() async throws {
        let (store, clock, sessions, account) = try await setUp()
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        clock.advance(by: .seconds(1800))
        #expect(try await sessions.validate(started.secret) == nil)
        #expect(try await store.session(id: started.session.id) == nil)
    }

    @Test func theSweeperRemovesOnlyExpiredSessions() async throws {
        let (store, clock, sessions, account) = try await setUp()
        _ = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        let remembered = try await sessions.start(account: account, remember: true, userAgent: nil, ipAddress: nil)
        clock.advance(by: .seconds(3600))
        let sweeper = StoreSweeper(store: store, throttle: nil, clock: clock, logger: Logger(label: "test"))
        #expect(try await sweeper.sweep().sessions == 1)
        #expect(try await sessions.activeSessions(accountID: account.id).map(\.id) == [remembered.session.id])
    }

    @Test func loginUpgradesWeakHashes() async throws {
        let store = MemoryStore()
        let weak = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
        let account = try await AccountService(store: store, hasher: weak).register(
            email: "ada@example.com",
            password: "correct horse battery staple"
        )
        let stronger = PasswordHasher(parameters: ScryptParameters(logN: 11, blockSize: 8, parallelism: 1))
        let login = PasswordLogin(store: store, hasher: stronger, throttle: nil)
        _ = try await login.authenticate(email: "ada@example.com", password: "correct horse battery staple", clientAddress: nil)
        let upgraded = try #require(try await store.passwordHash(accountID: account.id))
        #expect(upgraded.hasPrefix("$scrypt$ln=11,"))
        _ = try await login.authenticate(email: "ADA@example.com", password: "correct horse battery staple", clientAddress: nil)
    }

    @Test func everyLoginFailureIsTheSameError() async throws {
        let store = MemoryStore()
        let accounts = AccountService(store: store, hasher: Self.hasher)
        _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let eve = try await accounts.register(email: "eve@example.com", password: "correct horse battery staple")
        _ = try await accounts.change(accountID: eve.id, AccountChange(disabled: true))
        let login = PasswordLogin(store: store, hasher: Self.hasher, throttle: nil)
        var reasons: [String] = []
        for (email, password) in [
            ("nobody@example.com", "correct horse battery staple"), ("ada@example.com", "wrong wrong wrong"),
            ("eve@example.com", "correct horse battery staple"), ("not an email", "x"),
        ] {
            do {
                _ = try await login.authenticate(email: email, password: password, clientAddress: nil)
                Issue.record("\(email) signed in")
            } catch let error as PortcullisError {
                #expect(error.kind == .invalidCredentials)
                reasons.append(error.reason)
            }
        }
        #expect(Set(reasons).count == 1)
    }
}

@Suite("Store sweeper")
struct StoreSweeperTests {
    @Test func theBackgroundServiceDeletesExpiredSessions() async throws {
        let store = MemoryStore()
        let clock = ManualClock()
        let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
        let account = try await AccountService(store: store, hasher: hasher, clock: clock).register(
            email: "ada@example.com",
            password: "correct horse battery staple"
        )
        let sessions = SessionManager(store: store, clock: clock)
        let started = try await sessions.start(account: account, remember: false, userAgent: nil, ipAddress: nil)
        clock.advance(by: .seconds(3600))

        let sweeper = StoreSweeper(store: store, throttle: nil, interval: .milliseconds(10), clock: clock, logger: Logger(label: "test"))
        let running = Task { try await sweeper.run() }
        let deadline = ContinuousClock.now + .seconds(10)
        while try await store.session(id: started.session.id) != nil, ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(10))
        }
        running.cancel()
        #expect(try await store.session(id: started.session.id) == nil)
    }
}
