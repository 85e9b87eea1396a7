import Foundation
import PortcullisCore
import Testing

extension StoreConformance {
    /// Authenticator keys, recovery codes, and how sessions and refresh families were proven.
    static let secondFactorChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("anAuthenticatorKeyIsPendingUntilConfirmedThenEachStepWorksOnce") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                #expect(try await store.totpCredential(accountID: ada.id) == nil)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useTOTPStep(accountID: ada.id, sealedKey: [2], step: 5)], stamp: Self.stamp)
                }
                _ = try await store.apply([.beginTOTP(Self.totp(for: ada, key: [1]))], stamp: Self.stamp)
                // A new enrolment replaces a pending one; a pending key proves nothing.
                _ = try await store.apply([.beginTOTP(Self.totp(for: ada, key: [2]))], stamp: Self.stamp)
                #expect(try await store.totpCredential(accountID: ada.id)?.sealedKey == [2])
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useTOTPStep(accountID: ada.id, sealedKey: [2], step: 5)], stamp: Self.stamp)
                }
                // A pending key also leaves a password-only sign-in alone.
                _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: Self.stamp)
                // A code checked against the replaced key confirms nothing.
                await #expect(throws: StoreError.self) {
                    try await store.apply([.confirmTOTP(accountID: ada.id, sealedKey: [1], step: 10)], stamp: Self.stamp)
                }
                _ = try await store.apply([.confirmTOTP(accountID: ada.id, sealedKey: [2], step: 10)], stamp: Self.stamp)
                await #expect(throws: StoreError.self) { try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: Self.stamp) }
                let confirmed = try #require(try await store.totpCredential(accountID: ada.id))
                #expect(confirmed.isConfirmed && confirmed.lastUsedStep == 10 && confirmed.sealedKey == [2])
                await #expect(throws: StoreError.self) {
                    try await store.apply([.confirmTOTP(accountID: ada.id, sealedKey: [2], step: 11)], stamp: Self.stamp)
                }
                // A confirmed key is not replaced by a new enrolment.
                await #expect(throws: StoreError.self) { try await store.apply([.beginTOTP(Self.totp(for: ada, key: [3]))], stamp: Self.stamp) }
                #expect(try await store.totpCredential(accountID: ada.id)?.sealedKey == [2])
                // The confirming step, and every step up to the last used, are spent.
                for spent in [9, 10] as [Int64] {
                    await #expect(throws: StoreError.self) {
                        try await store.apply([.useTOTPStep(accountID: ada.id, sealedKey: [2], step: spent)], stamp: Self.stamp)
                    }
                }
                _ = try await store.apply([.useTOTPStep(accountID: ada.id, sealedKey: [2], step: 11)], stamp: Self.stamp)
                #expect(try await store.totpCredential(accountID: ada.id)?.lastUsedStep == 11)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useTOTPStep(accountID: ada.id, sealedKey: [3], step: 12)], stamp: Self.stamp)
                }
                _ = try await store.apply([.removeTOTP(accountID: ada.id)], stamp: Self.stamp)
                #expect(try await store.totpCredential(accountID: ada.id) == nil)
                _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: Self.stamp)
            }
        },
        StoreConformanceCheck("recoveryCodesWorkOnceAndAreReplacedOrRemovedTogether") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                let bob = Self.account("bob@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                try await store.insertAccount(bob, passwordHash: "h")
                _ = try await store.apply(
                    [
                        .beginTOTP(Self.totp(for: ada, key: [1])), .confirmTOTP(accountID: ada.id, sealedKey: [1], step: 1),
                        .replaceRecoveryCodes(accountID: ada.id, hashes: ["c1", "c2", "c3"].map(Self.hash)),
                    ],
                    stamp: Self.stamp
                )
                #expect(try await store.unusedRecoveryCodeCount(accountID: ada.id) == 3)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useRecoveryCode(accountID: bob.id, hash: Self.hash("c1"))], stamp: Self.stamp)
                }
                _ = try await store.apply([.useRecoveryCode(accountID: ada.id, hash: Self.hash("c1"))], stamp: Self.stamp)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useRecoveryCode(accountID: ada.id, hash: Self.hash("c1"))], stamp: Self.stamp)
                }
                #expect(try await store.unusedRecoveryCodeCount(accountID: ada.id) == 2)
                _ = try await store.apply([.replaceRecoveryCodes(accountID: ada.id, hashes: ["d1", "d2"].map(Self.hash))], stamp: Self.stamp)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.useRecoveryCode(accountID: ada.id, hash: Self.hash("c2"))], stamp: Self.stamp)
                }
                #expect(try await store.unusedRecoveryCodeCount(accountID: ada.id) == 2)
                _ = try await store.apply([.removeTOTP(accountID: ada.id)], stamp: Self.stamp)
                #expect(try await store.unusedRecoveryCodeCount(accountID: ada.id) == 0)
            }
        },
        StoreConformanceCheck("concurrentUsesOfOneCodeLetExactlyOneThrough") { backend in
            try await backend.withTwoStores { a, b in
                let ada = Self.account("ada@example.com")
                try await a.insertAccount(ada, passwordHash: "h")
                _ = try await a.apply(
                    [
                        .beginTOTP(Self.totp(for: ada, key: [1])), .confirmTOTP(accountID: ada.id, sealedKey: [1], step: 1),
                        .replaceRecoveryCodes(accountID: ada.id, hashes: [Self.hash("c1")]),
                    ],
                    stamp: Self.stamp
                )
                for use in [
                    StoreWrite.useTOTPStep(accountID: ada.id, sealedKey: [1], step: 2), .useRecoveryCode(accountID: ada.id, hash: Self.hash("c1")),
                ] {
                    let outcomes = await withTaskGroup(of: Bool.self) { group in
                        for index in 0..<20 {
                            let store = index.isMultiple(of: 2) ? a : b
                            group.addTask { (try? await store.apply([use], stamp: Self.stamp)) != nil }
                        }
                        return await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
                    }
                    #expect(outcomes == 1, "\(use)")
                }
            }
        },
        StoreConformanceCheck("sessionsFamiliesAndChallengesKeepHowTheSignInWasProven") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "h")
                let plain = Self.session(for: ada, id: "plain")
                let base = Self.session(for: ada, id: "strong")
                let strong = Session(
                    id: base.id,
                    accountID: base.accountID,
                    secretHash: base.secretHash,
                    createdAt: base.createdAt,
                    lastSeenAt: base.lastSeenAt,
                    idleTimeout: base.idleTimeout,
                    absoluteExpiry: base.absoluteExpiry,
                    remember: false,
                    userAgent: nil,
                    ipAddress: nil,
                    authMethods: AuthenticationMethod.passwordAndCode
                )
                let family = Self.family(ada, id: "f1")
                let strongFamily = RefreshFamily(
                    id: "f2",
                    accountID: ada.id,
                    clientID: family.clientID,
                    audience: family.audience,
                    createdAt: family.createdAt,
                    lastUsedAt: family.lastUsedAt,
                    idleTimeout: family.idleTimeout,
                    absoluteExpiry: family.absoluteExpiry,
                    authMethods: AuthenticationMethod.passwordAndCode
                )
                let challenge = OneTimeToken(
                    hash: Self.hash("mfa"),
                    purpose: .secondFactor,
                    accountID: ada.id,
                    email: ada.email,
                    createdAt: Self.t0,
                    expiresAt: Self.t0.addingTimeInterval(300),
                    staySignedIn: true
                )
                _ = try await store.apply(
                    [
                        .insertSession(plain), .insertSession(strong), .insertRefreshFamily(family, firstTokenHash: Self.hash("t1")),
                        .insertRefreshFamily(strongFamily, firstTokenHash: Self.hash("t2")), .insertOneTimeToken(challenge),
                    ],
                    stamp: Self.stamp
                )
                #expect(try await store.session(id: "plain")?.authMethods == [.password])
                #expect(try await store.session(id: "strong")?.authMethods == AuthenticationMethod.passwordAndCode)
                #expect(
                    try await store.sessionWithAccount(secretHash: strong.secretHash)?.session.authMethods == AuthenticationMethod.passwordAndCode
                )
                #expect(try await store.refreshFamily(id: "f1")?.authMethods == [.password])
                #expect(try await store.refreshFamily(id: "f2")?.authMethods == AuthenticationMethod.passwordAndCode)
                #expect(try await store.oneTimeToken(hash: Self.hash("mfa"))?.staySignedIn == true)
                let used = try await store.apply([.useOneTimeToken(hash: Self.hash("mfa"), purpose: .secondFactor)], stamp: Self.stamp)
                #expect(used.usedToken?.staySignedIn == true)
            }
        },
    ]

    /// A pending authenticator key whose sealed bytes are `key`.
    static func totp(for account: Account, key: [UInt8]) -> TOTPCredential {
        TOTPCredential(accountID: account.id, sealedKey: key, createdAt: t0)
    }
}
