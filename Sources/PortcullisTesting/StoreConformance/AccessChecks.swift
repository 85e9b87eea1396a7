import Foundation
import PortcullisCore
import Testing

extension StoreConformance {
    /// Ending access and the revocation log: what ends is published in the same transaction, publishing
    /// is idempotent, and what no longer matters is purged.
    static let accessChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("endingAccessDeletesAndPublishesTogether") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                for (account, id) in [(ada, "a1"), (ada, "a2"), (ada, "a3"), (bob, "b1")] {
                    try await store.insertSession(Self.session(for: account, id: id))
                }
                try await store.insertRefreshFamily(Self.family(ada, id: "fa"), firstTokenHash: Self.hash("fa"))

                // Someone else's session is not ended, and nothing is published for it.
                #expect(try await store.endAccess(.session(id: "b1", owner: ada.id), applying: nil, stamp: Self.stamp).sessionIDs.isEmpty)
                let one = try await store.endAccess(.session(id: "a1", owner: ada.id), applying: nil, stamp: Self.stamp)
                #expect(one.sessionIDs == ["a1"])
                #expect(one.revocations.map(\.kind) == [.session] && one.revocations.map(\.id) == ["a1"])
                #expect(try await store.endAccess(.session(id: "a1", owner: nil), applying: nil, stamp: Self.stamp).sessionIDs.isEmpty)

                // Everything of the account, with a change applied in the same transaction.
                let all = try await store.endAccess(.account(id: ada.id), applying: AccountChange(disabled: true), stamp: Self.stamp)
                #expect(all.sessionIDs == ["a2", "a3"])
                #expect(all.familyIDs == ["fa"])
                #expect(all.account?.isDisabled == true)
                #expect(all.revocations.map(\.kind) == [.session, .session, .session, .user])
                #expect(try await store.sessions(accountID: ada.id).isEmpty)
                #expect(try await store.session(id: "b1") != nil)
                // Each session and family it ended is published too, then the account.
                #expect(try await store.revocations(after: 0, now: Self.t0, limit: 10).map(\.id) == ["a1", "a2", "a3", "fa", ada.id])
            }
        },
        StoreConformanceCheck("revocationIsIdempotent") { backend in
            try await backend.withStore { store in
                let entry = Revocation(kind: .token, id: "j1", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(360))
                let first = try await store.appendRevocation(entry)
                let cursors = try await withThrowingTaskGroup(of: Int64.self) { group in
                    for _ in 0..<30 { group.addTask { try await store.appendRevocation(entry).cursor } }
                    return try await group.reduce(into: Set<Int64>()) { $0.insert($1) }
                }
                #expect(cursors == [first.cursor])
                // A user entry is repeated only when it is later than the one held.
                let user = Revocation(kind: .user, id: "u1", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(360))
                let held = try await store.appendRevocation(user)
                #expect(try await store.appendRevocation(user).cursor == held.cursor)
                let later = Revocation(kind: .user, id: "u1", revokedAt: Self.t0.addingTimeInterval(5), expiresAt: Self.t0.addingTimeInterval(365))
                #expect(try await store.appendRevocation(later).cursor > held.cursor)
                #expect(try await store.latestUserRevocation(accountID: "u1") == later.revokedAt)
                #expect(try await store.latestUserRevocation(accountID: "nobody") == nil)
                #expect(try await store.revocations(after: 0, now: Self.t0, limit: 100).count == 3)
            }
        },
        StoreConformanceCheck("expiredEntriesArePurgedAndCursorsNeverGoBack") { backend in
            try await backend.withStore { store in
                let short = try await store.appendRevocation(
                    Revocation(kind: .token, id: "short", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(100))
                )
                let long = try await store.appendRevocation(
                    Revocation(kind: .token, id: "long", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(400))
                )
                #expect(try await store.deleteExpiredRevocations(now: Self.t0.addingTimeInterval(99)) == 0)
                #expect(try await store.deleteExpiredRevocations(now: Self.t0.addingTimeInterval(100)) == 1)
                #expect(try await store.revocations(after: 0, now: Self.t0, limit: 10).map(\.id) == ["long"])
                #expect(try await store.deleteExpiredRevocations(now: Self.t0.addingTimeInterval(400)) == 1)
                // An emptied log still hands out cursors above every one it ever gave.
                let next = try await store.appendRevocation(
                    Revocation(kind: .token, id: "next", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(400))
                )
                #expect(next.cursor > max(short.cursor, long.cursor))
            }
        },
    ]
}
