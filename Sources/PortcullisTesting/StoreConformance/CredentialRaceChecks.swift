import Foundation
import PortcullisCore
import PortcullisTokens
import Testing

extension StoreConformance {
    /// A sign-in checks the password, then stores a session or refresh family: two steps. A reset,
    /// change or disable that commits between them must not leave what the sign-in stores behind.
    static let credentialRaceChecks: [StoreConformanceCheck] = [
        StoreConformanceCheck("writesUnderACredentialHappenOnlyWhileItHolds") { backend in
            try await backend.withStore { store in
                let ada = Self.account("ada@example.com")
                try await store.insertAccount(ada, passwordHash: "old")
                let stamp = RevocationStamp(revokedAt: Self.t0, expiresAt: Self.t0)
                _ = try await store.apply(
                    [.requireCredential(accountID: ada.id, passwordHash: "old"), .insertSession(Self.session("s1", for: ada))],
                    stamp: stamp
                )
                #expect(try await store.session(id: "s1") != nil)

                _ = try await store.apply([.setPasswordHash(accountID: ada.id, hash: "new")], stamp: stamp)
                for write in [
                    StoreWrite.insertSession(Self.session("s2", for: ada)),
                    .insertRefreshFamily(Self.family(ada, id: "f2"), firstTokenHash: Self.hash("t2")),
                ] {
                    do {
                        _ = try await store.apply([.requireCredential(accountID: ada.id, passwordHash: "old"), write], stamp: stamp)
                        Issue.record("a write under the old password hash went through")
                    } catch let error as StoreError {
                        #expect(error.kind == .changed)
                    }
                }
                #expect(try await store.session(id: "s2") == nil)
                #expect(try await store.refreshFamily(id: "f2") == nil)

                // A hash upgrade under the condition replaces only the hash it was checked against.
                await #expect(throws: StoreError.self) {
                    try await store.apply(
                        [.requireCredential(accountID: ada.id, passwordHash: "old"), .setPasswordHash(accountID: ada.id, hash: "old, upgraded")],
                        stamp: stamp
                    )
                }
                #expect(try await store.passwordHash(accountID: ada.id) == "new")

                // A disabled account holds no credential, whatever its hash.
                _ = try await store.apply([.changeAccount(id: ada.id, AccountChange(disabled: true))], stamp: stamp)
                await #expect(throws: StoreError.self) {
                    try await store.apply(
                        [.requireCredential(accountID: ada.id, passwordHash: "new"), .insertSession(Self.session("s3", for: ada))],
                        stamp: stamp
                    )
                }
                #expect(try await store.session(id: "s3") == nil)
                await #expect(throws: StoreError.self) {
                    try await store.apply([.requireCredential(accountID: "nobody", passwordHash: "new")], stamp: stamp)
                }
            }
        },
        // Sign-ins with the old password keep arriving on one instance while the password is changed
        // on another, round after round. Whatever the interleaving, once a change has committed no
        // session or refresh family from an old-password sign-in may be left.
        StoreConformanceCheck("signInsInFlightWhenThePasswordChangesLeaveNothingBehind") { backend in
            try await backend.withTwoStores { a, b in
                let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
                let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
                let policy = TokenPolicy(issuer: "https://auth.example.com")
                let mailer = AccountMailer(settings: .init(publicURL: "https://auth.example.com"), encryption: encryption)
                let login = PasswordLogin(store: a, hasher: hasher, throttle: nil)
                let sessions = SessionManager(store: a)
                let tokens = TokenService(
                    store: a,
                    keyRing: KeyRing(store: a, encryption: encryption, policy: policy),
                    encryption: encryption,
                    policy: policy
                )
                let recovery = AccountRecovery(
                    store: b,
                    hasher: hasher,
                    throttle: nil,
                    sessions: nil,
                    mailer: mailer,
                    revocationHorizon: policy.revocationHorizon
                )
                let passwords = (0...6).map { "lantern orchard velvet drift \($0 * 7919)" }
                let ada = try await AccountService(store: b, hasher: hasher).register(email: "ada@example.com", password: passwords[0])

                var survivors = 0
                var startedWithOldPassword = 0
                for round in 1..<passwords.count {
                    let old = passwords[round - 1]
                    let changed = WritersRunning()
                    let signIns = (0..<4).map { worker in
                        Task {
                            var started = 0
                            // Until the change has committed, and once more after it.
                            for _ in 0..<200 {
                                let finishing = !changed.value
                                do {
                                    let proof = try await login.authenticate(email: "ada@example.com", password: old, clientAddress: nil)
                                    if worker.isMultiple(of: 2) {
                                        _ = try await sessions.start(
                                            account: proof.account,
                                            remember: false,
                                            userAgent: nil,
                                            ipAddress: nil,
                                            passwordHash: proof.passwordHash
                                        )
                                    } else {
                                        _ = try await tokens.issue(for: proof.account, audience: nil, passwordHash: proof.passwordHash)
                                    }
                                    started += 1
                                } catch let error as PortcullisError where error.kind == .invalidCredentials {
                                    // Checked after the change, or stored too late: refused either way.
                                }
                                if finishing { break }
                            }
                            return started
                        }
                    }
                    try await Task.sleep(for: .milliseconds(30))
                    try await recovery.changePassword(account: ada, keepingSession: nil, current: old, new: passwords[round], clientAddress: nil)
                    changed.finish()
                    for signIn in signIns { startedWithOldPassword += try await signIn.value }
                    survivors += try await a.sessions(accountID: ada.id).count
                    survivors += try await a.refreshFamilies(accountID: ada.id).filter { $0.revokedAt == nil }.count
                }
                #expect(startedWithOldPassword > 0, "no sign-in overlapped the changes: the test proved nothing")
                #expect(survivors == 0, "\(survivors) sessions or refresh families from the old password outlived its change")
            }
        },
    ]

    static func session(_ id: String, for account: Account) -> Session {
        Session(
            id: id,
            accountID: account.id,
            secretHash: hash(id),
            createdAt: t0,
            lastSeenAt: t0,
            idleTimeout: .seconds(1800),
            absoluteExpiry: t0.addingTimeInterval(43200),
            remember: false,
            userAgent: nil,
            ipAddress: nil
        )
    }
}
