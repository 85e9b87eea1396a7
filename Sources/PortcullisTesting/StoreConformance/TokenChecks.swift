import Foundation
import PortcullisCore
import PortcullisTokens
import Testing

extension StoreConformance {
    /// The token side: refresh rotation under contention, the revocation log, signing keys and service
    /// clients.
    static let tokenChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("concurrentRotationsNeverForkAFamily") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertRefreshFamily(Self.family(ada, id: "f1"), firstTokenHash: Self.hash("first"))
                let outcomes = try await withThrowingTaskGroup(of: RefreshTokenUse.self) { group in
                    for _ in 0..<20 {
                        group.addTask {
                            try await store.useRefreshToken(
                                hash: Self.hash("first"),
                                successorHash: Self.hash("second"),
                                now: Self.t0.addingTimeInterval(5),
                                grace: .seconds(10),
                                revocation: Self.stamp
                            )
                        }
                    }
                    return try await group.reduce(into: [RefreshTokenUse]()) { $0.append($1) }
                }
                let rotated = outcomes.filter { if case .rotated = $0 { true } else { false } }
                let replayed = outcomes.filter { if case .replayedWithinGrace = $0 { true } else { false } }
                #expect(rotated.count == 1)
                #expect(replayed.count == 19)
                // The successor works once; the first token after the grace window is reuse.
                guard
                    case .rotated = try await store.useRefreshToken(
                        hash: Self.hash("second"),
                        successorHash: Self.hash("third"),
                        now: Self.t0.addingTimeInterval(6),
                        grace: .seconds(10),
                        revocation: Self.stamp
                    )
                else {
                    Issue.record("the successor did not rotate")
                    return
                }
                guard
                    case .reused(let family) = try await store.useRefreshToken(
                        hash: Self.hash("first"),
                        successorHash: Self.hash("second"),
                        now: Self.t0.addingTimeInterval(30),
                        grace: .seconds(10),
                        revocation: Self.stamp
                    )
                else {
                    Issue.record("reuse was not detected")
                    return
                }
                #expect(family.revokedAt != nil)
                // The reuse was published in the same transaction that revoked the family.
                #expect(try await store.revocations(after: 0, now: Self.t0, limit: 10).map(\.id) == ["f1"])
                #expect(
                    try await store.useRefreshToken(
                        hash: Self.hash("third"),
                        successorHash: Self.hash("fourth"),
                        now: Self.t0.addingTimeInterval(31),
                        grace: .seconds(10),
                        revocation: Self.stamp
                    ) == .invalid
                )
                #expect(try await store.refreshFamilies(accountID: ada.id).isEmpty)
            }
        },
        StoreConformanceCheck("familiesExpireAndRevoke") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertRefreshFamily(Self.family(ada, id: "idle"), firstTokenHash: Self.hash("idle"))
                try await store.insertRefreshFamily(Self.family(ada, id: "other"), firstTokenHash: Self.hash("other"))
                #expect(
                    try await store.useRefreshToken(
                        hash: Self.hash("idle"),
                        successorHash: Self.hash("x"),
                        now: Self.t0.addingTimeInterval(3601),
                        grace: .seconds(10),
                        revocation: Self.stamp
                    ) == .invalid
                )
                #expect(try await store.refreshToken(hash: Self.hash("other"))?.family.id == "other")
                #expect(try await store.endAccess(.refreshFamily(id: "other", owner: "mallory"), applying: nil, stamp: Self.stamp).familyIDs.isEmpty)
                #expect(
                    try await store.endAccess(.refreshFamily(id: "other", owner: ada.id), applying: nil, stamp: Self.stamp).familyIDs == ["other"]
                )
                #expect(try await store.endAccess(.refreshFamily(id: "other", owner: nil), applying: nil, stamp: Self.stamp).familyIDs.isEmpty)
                #expect(try await store.endAccess(.account(id: ada.id), applying: nil, stamp: Self.stamp).familyIDs == ["idle"])
                #expect(try await store.refreshFamily(id: "other")?.revokedAt == Self.t0)
                // Revoked or expired families go, with their tokens, at the next sweep.
                try await store.insertRefreshFamily(Self.family(ada, id: "live"), firstTokenHash: Self.hash("live"))
                #expect(try await store.deleteEndedRefreshFamilies(now: Self.t0.addingTimeInterval(60)) == 2)
                #expect(try await store.refreshFamily(id: "other") == nil)
                #expect(try await store.refreshToken(hash: Self.hash("other")) == nil)
                #expect(try await store.refreshFamily(id: "live") != nil)
                #expect(try await store.deleteEndedRefreshFamilies(now: Self.t0.addingTimeInterval(3600)) == 1)
            }
        },
        StoreConformanceCheck("theRevocationLogIsOrderedAndAnswersLookups") { backend in
            try await backend.withStore { store in
                let first = try await store.appendRevocation(
                    Revocation(kind: .session, id: "s1", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(300))
                )
                let second = try await store.appendRevocation(
                    Revocation(kind: .user, id: "a1", revokedAt: Self.t0.addingTimeInterval(10), expiresAt: Self.t0.addingTimeInterval(310))
                )
                let third = try await store.appendRevocation(
                    Revocation(kind: .token, id: "j1", revokedAt: Self.t0, expiresAt: Self.t0.addingTimeInterval(100))
                )
                #expect(first.cursor < second.cursor && second.cursor < third.cursor)
                #expect(try await store.revocations(after: 0, now: Self.t0, limit: 10).map(\.id) == ["s1", "a1", "j1"])
                #expect(try await store.revocations(after: first.cursor, now: Self.t0, limit: 1).map(\.id) == ["a1"])
                #expect(try await store.revocations(after: 0, now: Self.t0.addingTimeInterval(200), limit: 10).map(\.id) == ["s1", "a1"])
                #expect(try await store.isRevoked(tokenID: "j1", sessionID: "x", accountID: "x", issuedAt: Self.t0))
                #expect(try await store.isRevoked(tokenID: "x", sessionID: "s1", accountID: "x", issuedAt: Self.t0))
                #expect(try await store.isRevoked(tokenID: "x", sessionID: "x", accountID: "a1", issuedAt: Self.t0.addingTimeInterval(10)))
                #expect(try await store.isRevoked(tokenID: "x", sessionID: "x", accountID: "a1", issuedAt: Self.t0.addingTimeInterval(11)) == false)
                #expect(try await store.isRevoked(tokenID: "x", sessionID: "x", accountID: "x", issuedAt: Self.t0) == false)
            }
        },
        StoreConformanceCheck("signingKeysAndClientsRoundTrip") { backend in
            try await backend.withStore { store in
                var key = StoredSigningKey(kid: "k1", algorithm: .es256, sealedPrivateKey: [1, 2, 3], createdAt: Self.t0, signsFrom: Self.t0)
                try await store.insertSigningKey(key)
                key.signsUntil = Self.t0.addingTimeInterval(60)
                key.verifiesUntil = Self.t0.addingTimeInterval(400)
                let next = StoredSigningKey(
                    kid: "k2",
                    algorithm: .eddsa,
                    sealedPrivateKey: [4],
                    createdAt: Self.t0,
                    signsFrom: Self.t0.addingTimeInterval(60)
                )
                let retired = key
                try await store.rotateSigningKeys(adding: next) { held in held.map { _ in retired } }
                #expect(try await store.signingKeys() == [key, next])
                await #expect(throws: StoreError.self) { try await store.insertSigningKey(key) }

                let (client, secret) = ServiceClient.create(name: "orders", now: Self.t0)
                try await store.insertClient(client)
                let loaded = try #require(try await store.client(id: client.id))
                #expect(loaded == client)
                #expect(loaded.accepts(secret: secret))
                #expect(loaded.accepts(secret: secret + "x") == false)
                #expect(try await store.client(id: "missing") == nil)
            }
        },
        StoreConformanceCheck("concurrentRotationsEachSeeTheKeysTheOtherAdded") { backend in
            try await backend.withTwoStores { a, b in
                try await a.insertSigningKey(
                    StoredSigningKey(kid: "k0", algorithm: .eddsa, sealedPrivateKey: [0], createdAt: Self.t0, signsFrom: Self.t0)
                )
                // Twenty emergency rotations at once on two instances: each ends every key it finds.
                try await withThrowingTaskGroup(of: Void.self) { group in
                    for index in 1...20 {
                        let store = index.isMultiple(of: 2) ? a : b
                        group.addTask {
                            let key = StoredSigningKey(
                                kid: "k\(index)",
                                algorithm: .eddsa,
                                sealedPrivateKey: [1],
                                createdAt: Self.t0,
                                signsFrom: Self.t0
                            )
                            try await store.rotateSigningKeys(adding: key) { held in
                                held.filter { $0.verifiesUntil == nil }.map {
                                    var ended = $0
                                    ended.verifiesUntil = Self.t0
                                    return ended
                                }
                            }
                        }
                    }
                    try await group.waitForAll()
                }
                // Serialised, they leave exactly one key that still verifies: the last one added.
                let live = try await a.signingKeys().filter { $0.verifiesUntil == nil }
                #expect(live.count == 1, "\(live.map(\.kid))")
            }
        },
        StoreConformanceCheck("revocationRacingValidationNeverResurrectsASession") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                let session = Self.session(for: ada, id: "s1")
                try await store.insertSession(session)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask { _ = try await store.deleteSession(id: "s1") }
                    for index in 0..<20 {
                        group.addTask {
                            _ = try await store.session(secretHash: session.secretHash)
                            try await store.touchSession(id: "s1", lastSeenAt: Self.t0.addingTimeInterval(Double(60 + index)))
                        }
                    }
                    try await group.waitForAll()
                }
                #expect(try await store.session(secretHash: session.secretHash) == nil)
                #expect(try await store.sessions(accountID: ada.id).isEmpty)
            }
        },
    ]
}
