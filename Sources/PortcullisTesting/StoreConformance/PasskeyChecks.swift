import Foundation
import PortcullisCore
import Testing

extension StoreConformance {
    /// Passkeys: their records, the conditional writes of a sign-in with one, and the spent
    /// challenges that make each ceremony single-use.
    static let passkeyChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("passkeysKeepEveryFieldAndAreListedOldestFirst") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                let newer = Self.passkey("k2", of: ada, at: Self.t0.addingTimeInterval(10))
                let older = Passkey(
                    id: "k1-_AZaz09",
                    accountID: ada.id,
                    name: "Ada’s phone 📱",
                    publicKey: [0x00, 0xA5, 0x01, 0x02, 0xFF, 0x00] + Array(repeating: 0x7F, count: 300),
                    signCount: UInt32.max - 1,
                    isBackupEligible: true,
                    transports: ["internal", "hybrid"],
                    createdAt: Self.t0
                )
                // Inserted newest first: the listing is by creation time, not by insertion.
                _ = try await store.apply([.insertPasskey(newer)], stamp: Self.stamp)
                _ = try await store.apply([.insertPasskey(older)], stamp: Self.stamp)
                #expect(try await store.passkeys(accountID: ada.id) == [older, newer])
                #expect(try await store.passkey(id: older.id) == older)
                #expect(try await store.passkey(id: newer.id) == newer)
                #expect(try await store.passkey(id: newer.id)?.transports == [])
                #expect(try await store.passkeys(accountID: bob.id) == [])
                #expect(try await store.passkey(id: "k3") == nil)
            }
        },
        StoreConformanceCheck("aPasskeyIdIsRegisteredOnceAcrossAccounts") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                let original = Self.passkey("k1", of: ada)
                _ = try await store.apply([.insertPasskey(original)], stamp: Self.stamp)
                for (account, other) in [(ada, "k2"), (bob, "k3")] {
                    let again = Passkey(
                        id: "k1",
                        accountID: account.id,
                        name: "Copy",
                        publicKey: [9],
                        signCount: 0,
                        isBackupEligible: false,
                        transports: [],
                        createdAt: Self.t0
                    )
                    // The whole transaction fails: the other passkey in it is not stored either.
                    do {
                        _ = try await store.apply([.insertPasskey(Self.passkey(other, of: account)), .insertPasskey(again)], stamp: Self.stamp)
                        Issue.record("a second passkey k1 was stored for \(account.email)")
                    } catch let error as StoreError {
                        #expect(error.kind == .duplicate)
                    }
                    #expect(try await store.passkey(id: other) == nil)
                }
                #expect(try await store.passkey(id: "k1") == original)
                #expect(try await store.passkeys(accountID: bob.id) == [])
            }
        },
        StoreConformanceCheck("usingAPasskeyNeedsItsAccountItsCounterAndAnEnabledAccount") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                let key = Self.passkey("k1", of: ada, signCount: 5)
                let counting = Self.passkey("k2", of: ada, signCount: 0)
                _ = try await store.apply([.insertPasskey(key), .insertPasskey(counting)], stamp: Self.stamp)
                let later = RevocationStamp(revokedAt: Self.t0.addingTimeInterval(60), expiresAt: Self.t0.addingTimeInterval(420))
                for refused in [
                    StoreWrite.usePasskey(id: "k1", accountID: ada.id, signCount: 4, newSignCount: 6),
                    .usePasskey(id: "k1", accountID: ada.id, signCount: 6, newSignCount: 7),
                    .usePasskey(id: "k1", accountID: bob.id, signCount: 5, newSignCount: 6),
                    .usePasskey(id: "k9", accountID: ada.id, signCount: 5, newSignCount: 6),
                ] {
                    await Self.expectUnusable(refused, on: store, stamp: later)
                }
                #expect(try await store.passkey(id: "k1") == key)
                _ = try await store.apply([.usePasskey(id: "k1", accountID: ada.id, signCount: 5, newSignCount: 9)], stamp: later)
                #expect(try await store.passkey(id: "k1") == key.used(signCount: 9, at: later.revokedAt))
                // The counter it held is spent.
                await Self.expectUnusable(.usePasskey(id: "k1", accountID: ada.id, signCount: 5, newSignCount: 10), on: store, stamp: later)
                // An authenticator that does not count stays at zero.
                for _ in 0..<2 {
                    _ = try await store.apply([.usePasskey(id: "k2", accountID: ada.id, signCount: 0, newSignCount: 0)], stamp: later)
                }
                #expect(try await store.passkey(id: "k2")?.lastUsedAt == later.revokedAt)
                // A disabled account signs in with nothing.
                _ = try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: Self.t0)
                await Self.expectUnusable(.usePasskey(id: "k1", accountID: ada.id, signCount: 9, newSignCount: 10), on: store, stamp: later)
                await Self.expectUnusable(.usePasskey(id: "k2", accountID: ada.id, signCount: 0, newSignCount: 0), on: store, stamp: later)
                #expect(try await store.passkey(id: "k1")?.signCount == 9)
                _ = try await store.changeAccount(id: ada.id, AccountChange(disabled: false), at: Self.t0)
                _ = try await store.apply([.usePasskey(id: "k1", accountID: ada.id, signCount: 9, newSignCount: 10)], stamp: later)
            }
        },
        StoreConformanceCheck("onlyItsOwnAccountRenamesOrRemovesAPasskey") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                let key = Self.passkey("k1", of: ada)
                _ = try await store.apply([.insertPasskey(key)], stamp: Self.stamp)
                await Self.expectUnusable(.renamePasskey(id: "k1", accountID: bob.id, name: "Mine now"), on: store)
                await Self.expectUnusable(.removePasskey(id: "k1", accountID: bob.id), on: store)
                await Self.expectUnusable(.renamePasskey(id: "k9", accountID: ada.id, name: "Nothing"), on: store)
                #expect(try await store.passkey(id: "k1") == key)
                _ = try await store.apply([.renamePasskey(id: "k1", accountID: ada.id, name: "Laptop")], stamp: Self.stamp)
                #expect(try await store.passkey(id: "k1") == key.renamed("Laptop"))
                _ = try await store.apply([.removePasskey(id: "k1", accountID: ada.id)], stamp: Self.stamp)
                #expect(try await store.passkey(id: "k1") == nil)
                #expect(try await store.passkeys(accountID: ada.id) == [])
                await Self.expectUnusable(.removePasskey(id: "k1", accountID: ada.id), on: store)
            }
        },
        StoreConformanceCheck("aChallengeIsSpentOnceAndOnlyWithItsTransaction") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                _ = try await store.apply([.insertPasskey(Self.passkey("k1", of: ada, signCount: 3))], stamp: Self.stamp)
                let first = Self.spent("c1", of: ada)
                _ = try await store.apply([.spendOneTimeToken(first)], stamp: Self.stamp)
                let stored = try #require(try await store.oneTimeToken(hash: first.hash))
                #expect(stored.purpose == .passkeyChallenge && stored.accountID == ada.id && stored.usedAt != nil)
                #expect(!stored.isUsable(at: Self.t0))
                await Self.expectUnusable(.spendOneTimeToken(first), on: store)
                // A hash stored unused (any other token) cannot be spent either.
                let pending = OneTimeToken(
                    hash: Self.hash("c2"),
                    purpose: .secondFactor,
                    accountID: ada.id,
                    email: ada.email,
                    createdAt: Self.t0,
                    expiresAt: Self.t0.addingTimeInterval(300)
                )
                _ = try await store.apply([.insertOneTimeToken(pending)], stamp: Self.stamp)
                await Self.expectUnusable(.spendOneTimeToken(Self.spent("c2", of: ada)), on: store)
                #expect(try await store.oneTimeToken(hash: pending.hash)?.isUsable(at: Self.t0) == true)
                // A sign-in refused for its counter leaves its challenge unspent.
                let third = Self.spent("c3", of: ada)
                await #expect(throws: StoreError.self) {
                    try await store.apply(
                        [.spendOneTimeToken(third), .usePasskey(id: "k1", accountID: ada.id, signCount: 2, newSignCount: 4)],
                        stamp: Self.stamp
                    )
                }
                #expect(try await store.oneTimeToken(hash: third.hash) == nil)
                _ = try await store.apply(
                    [.spendOneTimeToken(third), .usePasskey(id: "k1", accountID: ada.id, signCount: 3, newSignCount: 4)],
                    stamp: Self.stamp
                )
                #expect(try await store.passkey(id: "k1")?.signCount == 4)
            }
        },
        StoreConformanceCheck("concurrentUsesOfOneCounterOrOneChallengeLetExactlyOneThrough") { backend in
            try await backend.withTwoStores { a, b in
                let ada = Self.account("ada@example.com")
                try await a.insertAccount(ada, passwordHash: "h")
                _ = try await a.apply([.insertPasskey(Self.passkey("k1", of: ada, signCount: 1))], stamp: Self.stamp)
                // Eight assertions that all saw counter 1, each with its own new counter.
                let counters = await withTaskGroup(of: UInt32?.self) { group in
                    for index in 0..<8 {
                        let store = index.isMultiple(of: 2) ? a : b
                        let write = StoreWrite.usePasskey(id: "k1", accountID: ada.id, signCount: 1, newSignCount: UInt32(2 + index))
                        group.addTask { (try? await store.apply([write], stamp: Self.stamp)) != nil ? UInt32(2 + index) : nil }
                    }
                    return await group.reduce(into: [UInt32]()) { if let each = $1 { $0.append(each) } }
                }
                #expect(counters.count == 1)
                #expect(try await a.passkey(id: "k1")?.signCount == counters.first)
                // Eight replays of one assertion: one challenge, spent once.
                let challenge = Self.spent("c1", of: ada)
                let spent = await withTaskGroup(of: Bool.self) { group in
                    for index in 0..<8 {
                        let store = index.isMultiple(of: 2) ? a : b
                        group.addTask { (try? await store.apply([.spendOneTimeToken(challenge)], stamp: Self.stamp)) != nil }
                    }
                    return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(spent == 1)
                // Both at once, as a sign-in writes them: distinct challenges, one counter.
                let current = try #require(try await a.passkey(id: "k1")?.signCount)
                let signedIn = await withTaskGroup(of: Bool.self) { group in
                    for index in 0..<8 {
                        let store = index.isMultiple(of: 2) ? a : b
                        let writes: [StoreWrite] = [
                            .spendOneTimeToken(Self.spent("d\(index)", of: ada)),
                            .usePasskey(id: "k1", accountID: ada.id, signCount: current, newSignCount: current + 1),
                        ]
                        group.addTask { (try? await store.apply(writes, stamp: Self.stamp)) != nil }
                    }
                    return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                }
                #expect(signedIn == 1)
                var unspent = 0
                for index in 0..<8 {
                    if try await a.oneTimeToken(hash: Self.hash("d\(index)")) == nil { unspent += 1 }
                }
                #expect(unspent == 7, "a refused sign-in spent its challenge")
            }
        },
        StoreConformanceCheck("aPasskeyIsASecondFactorForAPasswordOnlySignIn") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: Self.stamp)
                _ = try await store.apply([.insertPasskey(Self.passkey("k1", of: ada))], stamp: Self.stamp)
                do {
                    _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id), .insertSession(Self.session(for: ada))], stamp: Self.stamp)
                    Issue.record("a password-only sign-in went through with a passkey registered")
                } catch let error as StoreError {
                    #expect(error.kind == .changed)
                }
                #expect(try await store.sessions(accountID: ada.id).isEmpty)
                // Another account's passkey is not this one's factor.
                _ = try await store.apply([.requireNoSecondFactor(accountID: bob.id)], stamp: Self.stamp)
                _ = try await store.apply([.removePasskey(id: "k1", accountID: ada.id)], stamp: Self.stamp)
                _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: Self.stamp)
            }
        },
        StoreConformanceCheck("concurrentRemovalsWithoutThePasswordLeaveTheLastFactor") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                _ = try await store.apply(
                    [.insertPasskey(Self.passkey("k1", of: ada)), .insertPasskey(Self.passkey("k2", of: ada))],
                    stamp: Self.stamp
                )
                // Each removal is stored only if a factor remains after it: of two at once, one.
                let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                    for id in ["k1", "k2"] {
                        group.addTask {
                            do {
                                _ = try await store.apply(
                                    [.removePasskey(id: id, accountID: ada.id), .requireSecondFactor(accountID: ada.id)],
                                    stamp: Self.stamp
                                )
                                return true
                            } catch let error as StoreError where error.kind == .changed {
                                return false
                            }
                        }
                    }
                    return try await group.reduce(into: [Bool]()) { $0.append($1) }
                }
                #expect(outcomes.filter { $0 }.count == 1, "\(outcomes)")
                #expect(try await store.passkeys(accountID: ada.id).count == 1)
            }
        },
    ]

    /// A passkey of `account`, with a small stand-in key.
    static func passkey(_ id: String, of account: Account, signCount: UInt32 = 0, at time: Date = t0) -> Passkey {
        Passkey(
            id: id,
            accountID: account.id,
            name: "Passkey \(id)",
            publicKey: Array("key of \(id)".utf8),
            signCount: signCount,
            isBackupEligible: false,
            transports: [],
            createdAt: time
        )
    }

    /// The record of a spent ceremony challenge, its hash ``hash(_:)`` of `text`.
    static func spent(_ text: String, of account: Account) -> OneTimeToken {
        OneTimeToken(
            hash: hash(text),
            purpose: .passkeyChallenge,
            accountID: account.id,
            email: account.email,
            createdAt: t0,
            expiresAt: t0.addingTimeInterval(300)
        )
    }

    /// Expects `write` to fail with ``StoreError`` `unusable`.
    static func expectUnusable(
        _ write: StoreWrite,
        on store: any PortcullisStore,
        stamp: RevocationStamp = stamp,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async {
        do {
            _ = try await store.apply([write], stamp: stamp)
            Issue.record("\(write) was applied", sourceLocation: sourceLocation)
        } catch let error as StoreError {
            #expect(error.kind == .unusable, "\(write)", sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(write): \(error)", sourceLocation: sourceLocation)
        }
    }
}
