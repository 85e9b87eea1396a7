import Foundation
import PortcullisCore
import Testing

extension StoreConformance {
    /// Accounts and sessions: round trips, uniqueness, lookups by hash and id, the joined read,
    /// listing, sweeping and concurrent writes.
    static let storeChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("accountsRoundTrip") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com", roles: ["admin", "support"])
                try await store.insertAccount(ada, passwordHash: "$scrypt$hash")
                #expect(try await store.account(id: ada.id) == ada)
                #expect(try await store.account(email: "ada@example.com") == ada)
                #expect(try await store.account(email: "bob@example.com") == nil)
                #expect(try await store.account(id: "missing") == nil)
                #expect(try await store.passwordHash(accountID: ada.id) == "$scrypt$hash")
            }
        },
        StoreConformanceCheck("emailsAreUnique") { backend in
            try await backend.withStore { store in
                try await store.insertAccount(Self.account("ada@example.com"), passwordHash: "h1")
                await #expect(throws: StoreError.self) {
                    try await store.insertAccount(Self.account("ada@example.com"), passwordHash: "h2")
                }
                #expect(try await store.allAccounts().count == 1)
                #expect(try await store.passwordHash(accountID: try #require(try await store.account(email: "ada@example.com")).id) == "h1")
            }
        },
        StoreConformanceCheck("accountsUpdateAndList") { backend in
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
                _ = try await store.apply(
                    [.setPasswordHash(accountID: ada.id, hash: "new")],
                    stamp: RevocationStamp(revokedAt: Self.t0, expiresAt: Self.t0)
                )
                #expect(try await store.passwordHash(accountID: ada.id) == "new")
            }
        },
        StoreConformanceCheck("sessionsAreFoundByHashAndByID") { backend in
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
        },
        StoreConformanceCheck("aSessionIsReadWithItsAccountInOneQuery") { backend in
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
        },
        StoreConformanceCheck("recentlySeenSessionsAreListedNewestFirstWithTheirAccounts") { backend in
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
        },
        StoreConformanceCheck("sessionsListTouchAndDelete") { backend in
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
        },
        StoreConformanceCheck("expiredSessionsAreSwept") { backend in
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
        },
        StoreConformanceCheck("concurrentWritesAllLand") { backend in
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
        },
        StoreConformanceCheck("concurrentRegistrationsOfOneEmailYieldOneAccount") { backend in
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
        },
    ]
}
