import Foundation
import PortcullisCore
import Testing

extension StoreConformance {
    /// One-time tokens and the mail outbox.
    static let recoveryChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("aTokenIsUsedOnceWithItsPurposeBeforeItExpires") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "old")
                _ = try await store.apply(
                    [
                        .insertOneTimeToken(Self.token("r1", for: ada)), .insertOneTimeToken(Self.token("v1", .verifyEmail, for: ada)),
                        .insertOneTimeToken(Self.token("short", for: ada, lifetime: 60)),
                    ],
                    stamp: Self.recoveryStamp()
                )
                #expect(try await store.oneTimeToken(hash: Self.hash("r1"))?.isUsable(at: Self.t0) == true)
                // The wrong purpose, an expired token and an unknown one are unusable, and nothing else in the write happens.
                for (name, purpose, offset) in [
                    ("v1", OneTimeToken.Purpose.resetPassword, 0.0), ("short", .resetPassword, 60), ("nope", .resetPassword, 0),
                ] {
                    await #expect(throws: StoreError.self) {
                        try await store.apply(
                            [.setPasswordHash(accountID: ada.id, hash: "new"), .useOneTimeToken(hash: Self.hash(name), purpose: purpose)],
                            stamp: Self.recoveryStamp(offset)
                        )
                    }
                }
                #expect(try await store.passwordHash(accountID: ada.id) == "old")
                let used = try await store.apply(
                    [.useOneTimeToken(hash: Self.hash("r1"), purpose: .resetPassword), .setPasswordHash(accountID: ada.id, hash: "new")],
                    stamp: Self.recoveryStamp(10)
                )
                #expect(used.usedToken?.accountID == ada.id && used.usedToken?.email == "ada@example.com")
                #expect(try await store.passwordHash(accountID: ada.id) == "new")
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useOneTimeToken(hash: Self.hash("r1"), purpose: .resetPassword)], stamp: Self.recoveryStamp(11))
                }
                #expect(try await store.deleteExpiredOneTimeTokens(now: Self.t0.addingTimeInterval(60)) == 1)
            }
        },
        StoreConformanceCheck("concurrentUsesOfOneTokenLetExactlyOneThrough") { backend in
            try await backend.withTwoStores { a, b in
                let ada = Self.account("ada@example.com")
                try await a.insertAccount(ada, passwordHash: "h")
                _ = try await a.apply([.insertOneTimeToken(Self.token("r1", for: ada))], stamp: Self.recoveryStamp())
                let outcomes = await withTaskGroup(of: Bool.self) { group in
                    for index in 0..<20 {
                        let store = index.isMultiple(of: 2) ? a : b
                        group.addTask {
                            (try? await store.apply([.useOneTimeToken(hash: Self.hash("r1"), purpose: .resetPassword)], stamp: Self.recoveryStamp(1)))
                                != nil
                        }
                    }
                    return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(outcomes == 1)
            }
        },
        StoreConformanceCheck("retiringEndsEveryUnusedTokenOfThatPurpose") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                _ = try await store.apply(
                    [
                        .insertOneTimeToken(Self.token("r1", for: ada)), .insertOneTimeToken(Self.token("r2", for: ada)),
                        .insertOneTimeToken(Self.token("v1", .verifyEmail, for: ada)),
                    ],
                    stamp: Self.recoveryStamp()
                )
                _ = try await store.apply([.retireOneTimeTokens(accountID: ada.id, purpose: .resetPassword)], stamp: Self.recoveryStamp(5))
                for name in ["r1", "r2"] {
                    #expect(try await store.oneTimeToken(hash: Self.hash(name))?.isUsable(at: Self.t0) == false)
                }
                #expect(try await store.oneTimeToken(hash: Self.hash("v1"))?.isUsable(at: Self.t0) == true)
            }
        },
        StoreConformanceCheck("theOutboxHandsAMessageToOneClaimAtATimeAndRetriesIt") { backend in
            try await backend.withStore { store in
                _ = try await store.apply([.enqueueMail(Self.mail("m1")), .enqueueMail(Self.mail("m2", at: 1))], stamp: Self.recoveryStamp())
                #expect(try await store.pendingMailCount() == 2)
                let claimed = try await store.claimMail(now: Self.t0.addingTimeInterval(1), lease: .seconds(60), limit: 10)
                #expect(claimed.map(\.id) == ["m1", "m2"])
                #expect(claimed.first?.sealedContent == Array("m1".utf8))
                #expect(try await store.claimMail(now: Self.t0.addingTimeInterval(2), lease: .seconds(60), limit: 10).isEmpty, "claimed twice")
                // A failure makes it due later; a sender that died lets its lease run out.
                try await store.markMailFailed(
                    id: "m1",
                    at: Self.t0.addingTimeInterval(2),
                    nextAttemptAt: Self.t0.addingTimeInterval(30),
                    giveUp: false
                )
                #expect(try await store.claimMail(now: Self.t0.addingTimeInterval(29), lease: .seconds(60), limit: 10).isEmpty)
                let again = try await store.claimMail(now: Self.t0.addingTimeInterval(61), lease: .seconds(60), limit: 10)
                #expect(again.map(\.id) == ["m1", "m2"])
                #expect(again.first?.attempts == 1)
                try await store.markMailSent(id: "m1", at: Self.t0.addingTimeInterval(62))
                try await store.markMailFailed(
                    id: "m2",
                    at: Self.t0.addingTimeInterval(62),
                    nextAttemptAt: Self.t0.addingTimeInterval(62),
                    giveUp: true
                )
                #expect(try await store.claimMail(now: Self.t0.addingTimeInterval(500), lease: .seconds(60), limit: 10).isEmpty)
                #expect(try await store.pendingMailCount() == 0)
                #expect(try await store.deleteFinishedMail(before: Self.t0.addingTimeInterval(62)) == 0)
                #expect(try await store.deleteFinishedMail(before: Self.t0.addingTimeInterval(63)) == 2)
            }
        },
        StoreConformanceCheck("twoInstancesClaimingAtOnceNeverGetTheSameMessage") { backend in
            try await backend.withTwoStores { a, b in
                _ = try await a.apply((0..<60).map { .enqueueMail(Self.mail("m\($0)")) }, stamp: Self.recoveryStamp())
                let claims = try await withThrowingTaskGroup(of: [String].self) { group in
                    for index in 0..<12 {
                        let store = index.isMultiple(of: 2) ? a : b
                        group.addTask { try await store.claimMail(now: Self.t0, lease: .seconds(60), limit: 7).map(\.id) }
                    }
                    return try await group.reduce(into: [String]()) { $0 += $1 }
                }
                #expect(claims.count == 60)
                #expect(Set(claims).count == claims.count, "a message was claimed twice")
            }
        },
    ]

    static func recoveryStamp(_ offset: TimeInterval = 0) -> RevocationStamp {
        RevocationStamp(revokedAt: t0.addingTimeInterval(offset), expiresAt: t0.addingTimeInterval(offset + 360))
    }

    static func token(
        _ name: String,
        _ purpose: OneTimeToken.Purpose = .resetPassword,
        for account: Account,
        lifetime: TimeInterval = 1800
    ) -> OneTimeToken {
        OneTimeToken(
            hash: hash(name),
            purpose: purpose,
            accountID: account.id,
            email: account.email,
            createdAt: t0,
            expiresAt: t0.addingTimeInterval(lifetime)
        )
    }

    static func mail(_ id: String, at offset: TimeInterval = 0) -> OutboxMail {
        OutboxMail(id: id, sealedContent: Array(id.utf8), createdAt: t0.addingTimeInterval(offset), nextAttemptAt: t0.addingTimeInterval(offset))
    }
}
