import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Synchronization
import Testing

/// Registering passkeys and signing in with them, end to end in the core: a software
/// authenticator makes exactly the JSON a browser sends, and each check of WebAuthn is tried by
/// bending one field of a ceremony.
@Suite("Passkey ceremonies")
struct PasskeyCeremonyTests {
    static let password = "correct horse battery staple"

    /// The algorithms a software authenticator makes, and the COSE identifier each must read as.
    static let algorithms: [(SoftwarePasskey.Algorithm, fullySpecified: Bool, identifier: Int64)] = [
        (.es256, false, -7), (.ed25519, false, -8), (.ed25519, true, -19), (.rs256, false, -257),
    ]

    let store = MemoryStore()
    let clock = ManualClock()
    let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
    let relyingParty = RelyingParty(id: "auth.example.com", origin: "https://auth.example.com", name: "Example")
    /// What the ceremonies logged, to tell which check refused a response.
    let logs = RecordedLogs()
    let encryption: KeyEncryptionKey
    let sessions: SessionManager
    let passkeys: PasskeyService
    let signIn: PasskeySignIn

    init() throws {
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        self.encryption = encryption
        sessions = SessionManager(store: store, clock: clock)
        let logs = logs
        let logger = Logger(label: "passkeys", factory: { _ in RecordingLogHandler(logs: logs) })
        passkeys = PasskeyService(
            store: store,
            hasher: hasher,
            throttle: nil,
            sessions: sessions,
            encryption: encryption,
            revocationHorizon: .seconds(900),
            relyingParty: relyingParty,
            clock: clock,
            logger: logger
        )
        signIn = PasskeySignIn(store: store, throttle: nil, encryption: encryption, relyingParty: relyingParty, clock: clock, logger: logger)
    }

    // MARK: - Success

    @Test(arguments: algorithms, ["none", "packed"])
    func registrationAndSignInWorkForEveryAlgorithm(
        algorithm: (SoftwarePasskey.Algorithm, fullySpecified: Bool, identifier: Int64),
        format: String
    ) async throws {
        let ada = try await account()
        let options = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: clock.now, password: nil, clientAddress: nil)
        #expect(options.userID == Array(ada.id.utf8) && options.userName == ada.email && options.relyingParty == relyingParty)
        #expect(options.algorithms == COSEKey.supportedAlgorithms && options.excluded.isEmpty && options.timeout == .seconds(300))
        var authenticator = try SoftwarePasskey(algorithm: algorithm.0, userHandle: options.userID, fullySpecifiedEdDSA: algorithm.fullySpecified)
        var bent = ceremony
        bent.format = format
        let response: RegistrationResponse = try Self.decode(authenticator.register(challenge: Base64.encode(options.challenge), bent))
        let stored = try await passkeys.register(response, name: "  Laptop\n ", for: ada, session: "s1")
        #expect(stored.id == authenticator.id && stored.accountID == ada.id && stored.name == "Laptop" && stored.signCount == 1)
        #expect(stored.isBackupEligible && stored.transports == ["internal"] && stored.createdAt == clock.now && stored.lastUsedAt == nil)
        #expect(try COSEKey(cbor: stored.publicKey).algorithm == algorithm.identifier)
        #expect(try await store.passkeys(accountID: ada.id) == [stored])
        #expect(try await passkeys.list(for: ada) == [stored])

        clock.advance(by: .seconds(5))
        let request = try await signIn.options(mfaToken: nil)
        #expect(request.allowed.isEmpty && request.relyingParty == relyingParty && request.timeout == .seconds(300))
        let first: AssertionResponse = try Self.decode(authenticator.assert(challenge: Base64.encode(request.challenge), ceremony))
        let completion = try await complete(first, staySignedIn: true)
        #expect(completion.account.id == ada.id && completion.passwordHash == nil && completion.staySignedIn)
        #expect(completion.methods == AuthenticationMethod.passkey)
        #expect(try await store.passkey(id: stored.id) == stored.used(signCount: 2, at: clock.now))
        // And again, with a new challenge.
        clock.advance(by: .seconds(5))
        _ = try await complete(try await assertion(by: &authenticator))
        #expect(try await store.passkey(id: stored.id) == stored.used(signCount: 3, at: clock.now))
    }

    @Test func aSignInStartsASessionRecordedAsAPasskeySignIn() async throws {
        let ada = try await account()
        var (authenticator, _) = try await register(for: ada)
        let started = try await signIn.complete(try await assertion(by: &authenticator), mfaToken: nil, staySignedIn: true, clientAddress: nil) {
            try await sessions.start(
                account: $0.account,
                remember: $0.staySignedIn,
                userAgent: nil,
                ipAddress: nil,
                passwordHash: $0.passwordHash,
                authMethods: $0.methods,
                alongside: $0.writes
            )
        }
        let validated = try #require(try await sessions.validate(started.secret))
        #expect(validated.session.authMethods == AuthenticationMethod.passkey && validated.session.remember)
        #expect(validated.account.id == ada.id)
    }

    // MARK: - Registration refused

    enum RegistrationBend: String, CaseIterable, Sendable {
        case wrongOrigin, wrongRelyingParty, userNotVerified, wrongType, otherSession, otherAccount, signInChallenge, expired
        case unsupportedFormat, otherCredentialID

        var refusal: PortcullisError.Kind {
            switch self {
            case .wrongType, .unsupportedFormat, .otherCredentialID: .invalidRequest
            default: .invalidCredentials
            }
        }

        /// The check that must refuse it.
        var reason: PasskeyRefusal {
            switch self {
            case .wrongOrigin: .wrongOrigin("https://auth.example.com.evil.test")
            case .wrongRelyingParty: .wrongRelyingParty
            case .userNotVerified: .userNotVerified
            case .wrongType: .malformed("the client data is of type webauthn.get")
            case .otherSession, .otherAccount, .signInChallenge, .expired: .staleChallenge
            case .unsupportedFormat: .unsupported("attestation format tpm")
            case .otherCredentialID: .malformed("the credential id differs from the attested one")
            }
        }
    }

    @Test(arguments: RegistrationBend.allCases)
    func registrationIsRefused(_ bend: RegistrationBend) async throws {
        let ada = try await account()
        let options = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: clock.now, password: nil, clientAddress: nil)
        let authenticator = try SoftwarePasskey(userHandle: options.userID)
        var bent = ceremony
        var challenge = options.challenge
        var session = "s1"
        switch bend {
        case .wrongOrigin: bent.origin = "https://auth.example.com.evil.test"
        case .wrongRelyingParty: bent.relyingPartyID = "example.com"
        case .userNotVerified: bent.userVerified = false
        case .wrongType: bent.type = "webauthn.get"
        case .otherSession: session = "s2"
        case .otherAccount:
            let bob = try await account("bob@example.com")
            challenge = try await passkeys.registrationOptions(for: bob, session: "s1", signedInAt: clock.now, password: nil, clientAddress: nil)
                .challenge
        case .signInChallenge: challenge = try await signIn.options(mfaToken: nil).challenge
        case .expired: clock.advance(by: .seconds(301))
        case .unsupportedFormat: bent.format = "tpm"
        case .otherCredentialID: break
        }
        var json = try authenticator.register(challenge: Base64.encode(challenge), bent)
        if bend == .otherCredentialID {
            json["id"] = Base64.encode(SecureRandom.bytes(32))
            json["rawId"] = json["id"]
        }
        let response: RegistrationResponse = try Self.decode(json)
        await expectRefused(bend.refusal, "\(bend)") { _ = try await passkeys.register(response, name: nil, for: ada, session: session) }
        #expect(logs.reasons == ["\(bend.reason)"])
        #expect(try await store.passkeys(accountID: ada.id).isEmpty)
        #expect(try await store.passkey(id: authenticator.id) == nil)
        // Signing in with the password alone still needs no second factor.
        _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: stamp)
    }

    @Test func aRegistrationChallengeWorksOnce() async throws {
        let ada = try await account()
        let options = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: clock.now, password: nil, clientAddress: nil)
        let first = try SoftwarePasskey(userHandle: options.userID)
        let second = try SoftwarePasskey(userHandle: options.userID)
        _ = try await passkeys.register(
            try Self.decode(first.register(challenge: Base64.encode(options.challenge), ceremony)),
            name: nil,
            for: ada,
            session: "s1"
        )
        await expectRefused(.invalidCredentials) {
            _ = try await passkeys.register(
                try Self.decode(second.register(challenge: Base64.encode(options.challenge), ceremony)),
                name: nil,
                for: ada,
                session: "s1"
            )
        }
        #expect(try await store.passkeys(accountID: ada.id).map(\.id) == [first.id])
    }

    @Test func registeringTheSameCredentialAgainIsRefused() async throws {
        let ada = try await account()
        let bob = try await account("bob@example.com")
        let (authenticator, stored) = try await register(for: ada)
        let options = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: clock.now, password: nil, clientAddress: nil)
        #expect(options.excluded == [stored])
        await expectRefused(.invalidRequest) {
            _ = try await passkeys.register(
                try Self.decode(authenticator.register(challenge: Base64.encode(options.challenge), ceremony)),
                name: "Again",
                for: ada,
                session: "s1"
            )
        }
        // Nor can another account claim it.
        let theirs = try await passkeys.registrationOptions(for: bob, session: "s9", signedInAt: clock.now, password: nil, clientAddress: nil)
        await expectRefused(.invalidRequest) {
            _ = try await passkeys.register(
                try Self.decode(authenticator.register(challenge: Base64.encode(theirs.challenge), ceremony)),
                name: nil,
                for: bob,
                session: "s9"
            )
        }
        #expect(try await store.passkeys(accountID: ada.id) == [stored])
        #expect(try await store.passkeys(accountID: bob.id).isEmpty)
    }

    @Test func addingAPasskeyNeedsARecentSignInOrThePassword() async throws {
        let ada = try await account()
        for signedInAt in [nil, clock.now.addingTimeInterval(-901)] {
            await expectRefused(.forbidden) {
                _ = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: signedInAt, password: nil, clientAddress: nil)
            }
        }
        await expectRefused(.forbidden) {
            _ = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: nil, password: "wrong wrong wrong", clientAddress: nil)
        }
        _ = try await passkeys.registrationOptions(for: ada, session: "s1", signedInAt: nil, password: Self.password, clientAddress: nil)
    }

    // MARK: - Sign-in refused

    enum SignInBend: String, CaseIterable, Sendable {
        case wrongOrigin, wrongRelyingParty, userNotVerified, wrongType, expired, registrationChallenge, userHandleMismatch
        case badSignature, unknownCredential, disabledAccount

        var refusal: PortcullisError.Kind { self == .wrongType ? .invalidRequest : .invalidCredentials }

        /// The check that must refuse it.
        var reason: PasskeyRefusal {
            switch self {
            case .wrongOrigin: .wrongOrigin("https://evil.example")
            case .wrongRelyingParty: .wrongRelyingParty
            case .userNotVerified: .userNotVerified
            case .wrongType: .malformed("the client data is of type webauthn.create")
            case .expired, .registrationChallenge: .staleChallenge
            case .userHandleMismatch, .unknownCredential, .disabledAccount: .unknownCredential
            case .badSignature: .badSignature
            }
        }
    }

    @Test(arguments: SignInBend.allCases)
    func signInIsRefused(_ bend: SignInBend) async throws {
        let ada = try await account()
        var (authenticator, stored) = try await register(for: ada)
        var challenge = try await signIn.options(mfaToken: nil).challenge
        var bent = ceremony
        var signer = authenticator
        switch bend {
        case .wrongOrigin: bent.origin = "https://evil.example"
        case .wrongRelyingParty: bent.relyingPartyID = "evil.example"
        case .userNotVerified: bent.userVerified = false
        case .wrongType: bent.type = "webauthn.create"
        case .expired: clock.advance(by: .seconds(301))
        case .registrationChallenge:
            challenge = try await passkeys.registrationOptions(for: ada, session: "", signedInAt: clock.now, password: nil, clientAddress: nil)
                .challenge
        case .unknownCredential: signer = try SoftwarePasskey(userHandle: Array(ada.id.utf8))
        case .disabledAccount: _ = try await store.changeAccount(id: ada.id, AccountChange(disabled: true), at: clock.now)
        case .userHandleMismatch, .badSignature: break
        }
        var json = try signer.assert(challenge: Base64.encode(challenge), bent)
        if var response = json["response"] as? [String: any Sendable] {
            if bend == .userHandleMismatch { response["userHandle"] = Base64.encode(Array("someone-else".utf8)) }
            if bend == .badSignature, var signature = (response["signature"] as? String).flatMap({ Base64.decode($0) }) {
                signature[signature.count - 1] ^= 0x01
                response["signature"] = Base64.encode(signature)
            }
            json["response"] = response
        }
        let response: AssertionResponse = try Self.decode(json)
        let logged = logs.all.count
        await expectRefused(bend.refusal, "\(bend)") { _ = try await complete(response) }
        #expect(logs.all.dropFirst(logged).map(\.reason) == ["\(bend.reason)"])
        #expect(try await store.passkey(id: stored.id) == stored, "the refused sign-in changed the passkey")
        #expect(try await store.sessions(accountID: ada.id).isEmpty)
        if bend != .disabledAccount {
            // The refusal spent nothing the next, proper sign-in needs.
            _ = try await complete(try await assertion(by: &authenticator))
            #expect(try await store.passkey(id: stored.id)?.signCount == authenticator.signCount)
        }
    }

    /// The same assertion twice, from an authenticator that counts and from one that does not
    /// (only the spent challenge stops the latter).
    @Test(arguments: [UInt32(1), 0])
    func aReplayedAssertionIsRefused(signCount: UInt32) async throws {
        let ada = try await account()
        var (authenticator, stored) = try await register(for: ada, signCount: signCount)
        let signed = try await assertion(by: &authenticator)
        clock.advance(by: .seconds(1))
        _ = try await complete(signed)
        let used = stored.used(signCount: signCount == 0 ? 0 : 2, at: clock.now)
        #expect(try await store.passkey(id: stored.id) == used)
        clock.advance(by: .seconds(1))
        await expectRefused(.invalidCredentials) { _ = try await complete(signed) }
        #expect(try await store.passkey(id: stored.id) == used)
        // A counting authenticator's replay fails its counter; one that does not count, its spent challenge.
        if signCount == 0 {
            #expect(logs.all.last?.message == "passkey assertion replayed")
        } else {
            #expect(logs.all.last?.reason == "\(PasskeyRefusal.signCountRegressed(stored: 2, presented: 2))")
        }
    }

    @Test(arguments: [UInt32(1), 0])
    func aSignInChallengeWorksOnce(signCount: UInt32) async throws {
        let ada = try await account()
        var (authenticator, _) = try await register(for: ada, signCount: signCount)
        let challenge = Base64.encode(try await signIn.options(mfaToken: nil).challenge)
        _ = try await complete(try Self.decode(authenticator.assert(challenge: challenge, ceremony)))
        // A new assertion, with a higher counter, over the spent challenge.
        await expectRefused(.invalidCredentials) { _ = try await complete(try Self.decode(authenticator.assert(challenge: challenge, ceremony))) }
        #expect(logs.all.last?.message == "passkey assertion replayed")
    }

    @Test func aCounterThatDidNotIncreaseIsRefused() async throws {
        let ada = try await account()
        var (authenticator, stored) = try await register(for: ada)
        for _ in 0..<2 { _ = try await complete(try await assertion(by: &authenticator)) }
        #expect(try await store.passkey(id: stored.id)?.signCount == 3)
        // A clone that kept an older counter, or the same, or none.
        for old in [3, 2, 1, 0] as [UInt32] {
            let challenge = Base64.encode(try await signIn.options(mfaToken: nil).challenge)
            let cloned: AssertionResponse = try Self.decode(authenticator.assertion(challenge: challenge, ceremony, signCount: old))
            await expectRefused(.invalidCredentials, "counter \(old)") { _ = try await complete(cloned) }
            #expect(logs.all.last?.reason == "\(PasskeyRefusal.signCountRegressed(stored: 3, presented: old))")
        }
        #expect(try await store.passkey(id: stored.id)?.signCount == 3)
        _ = try await complete(try await assertion(by: &authenticator))
        #expect(try await store.passkey(id: stored.id)?.signCount == 4)
    }

    // MARK: - Second step of a password sign-in

    @Test func aPasskeyCompletesAPasswordSignInOfItsOwnAccountOnly() async throws {
        let ada = try await account()
        let bob = try await account("bob@example.com")
        var (adaKey, adaPasskey) = try await register(for: ada)
        let (_, bobPasskey) = try await register(for: bob)
        let adaToken = try await mfaToken("ada@example.com")
        let bobToken = try await mfaToken("bob@example.com")
        #expect(try await signIn.options(mfaToken: adaToken).allowed == [adaPasskey])
        #expect(try await signIn.options(mfaToken: bobToken).allowed == [bobPasskey])

        // Ada's passkey for Bob's second step.
        let crossed = try await assertion(by: &adaKey, mfaToken: bobToken)
        await expectRefused(.invalidCredentials) { _ = try await complete(crossed, mfaToken: bobToken) }
        #expect(logs.all.last?.reason == "\(PasskeyRefusal.unknownCredential)")
        // A challenge issued for another step, or for no step, is not this step's.
        let discoverable = try await assertion(by: &adaKey)
        await expectRefused(.invalidCredentials) { _ = try await complete(discoverable, mfaToken: adaToken) }
        let forBob = try await assertion(by: &adaKey, mfaToken: bobToken)
        await expectRefused(.invalidCredentials) { _ = try await complete(forBob, mfaToken: adaToken) }
        let forAda = try await assertion(by: &adaKey, mfaToken: adaToken)
        await expectRefused(.invalidCredentials) { _ = try await complete(forAda, mfaToken: nil) }
        #expect(logs.all.suffix(3).map(\.reason) == Array(repeating: "\(PasskeyRefusal.staleChallenge)", count: 3))
        #expect(try await store.passkey(id: adaPasskey.id) == adaPasskey)
        #expect(try await store.passkey(id: bobPasskey.id) == bobPasskey)

        // Ada's own second step, which keeps the first step's choice to stay signed in.
        let own = try await assertion(by: &adaKey, mfaToken: adaToken)
        let completion = try await complete(own, mfaToken: adaToken, staySignedIn: false)
        #expect(completion.account.id == ada.id && completion.staySignedIn)
        #expect(completion.methods == [.password] + AuthenticationMethod.passkey)
        let passwordHash = try await store.passwordHash(accountID: ada.id)
        #expect(completion.passwordHash == passwordHash)
        // The mfa_token is used; Bob's is untouched by the refusals.
        await expectRefused(.invalidCredentials) { _ = try await signIn.options(mfaToken: adaToken) }
        #expect(try await signIn.options(mfaToken: bobToken).allowed == [bobPasskey])
    }

    // MARK: - Changes

    @Test func addingAndRemovingAPasskeyEndsTheOtherSessions() async throws {
        let ada = try await account()
        let kept = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let other = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let (_, stored) = try await register(for: ada, session: kept.session.id)
        #expect(try await sessions.validate(kept.secret) != nil)
        #expect(try await sessions.validate(other.secret) == nil)

        let third = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        // The account's last second factor: even a recent sign-in gives the password.
        await expectRefused(.forbidden) {
            try await passkeys.remove(stored.id, for: ada, keepingSession: kept.session.id, signedInAt: clock.now, password: nil, clientAddress: nil)
        }
        try await passkeys.remove(
            stored.id,
            for: ada,
            keepingSession: kept.session.id,
            signedInAt: clock.now,
            password: Self.password,
            clientAddress: nil
        )
        #expect(try await sessions.validate(kept.secret) != nil)
        #expect(try await sessions.validate(third.secret) == nil)
        #expect(try await store.session(id: third.session.id) == nil)
        #expect(try await store.passkeys(accountID: ada.id).isEmpty)
        _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: stamp)
    }

    @Test func onlyItsOwnerRenamesOrRemovesAPasskeyAndRemovingNeedsARecentProof() async throws {
        let ada = try await account()
        let bob = try await account("bob@example.com")
        let (_, stored) = try await register(for: ada)
        #expect(try await passkeys.rename(stored.id, to: " Phone\t", for: ada) == stored.renamed("Phone"))
        await expectRefused(.notFound) { _ = try await passkeys.rename(stored.id, to: "Mine", for: bob) }
        await expectRefused(.notFound) {
            try await passkeys.remove(stored.id, for: bob, keepingSession: nil, signedInAt: clock.now, password: nil, clientAddress: nil)
        }
        await expectRefused(.notFound) {
            try await passkeys.remove("unknown", for: ada, keepingSession: nil, signedInAt: clock.now, password: nil, clientAddress: nil)
        }
        clock.advance(by: .seconds(901))
        await expectRefused(.forbidden) {
            try await passkeys.remove(
                stored.id,
                for: ada,
                keepingSession: nil,
                signedInAt: clock.now.addingTimeInterval(-901),
                password: nil,
                clientAddress: nil
            )
        }
        #expect(try await store.passkeys(accountID: ada.id) == [stored.renamed("Phone")])
        try await passkeys.remove(stored.id, for: ada, keepingSession: nil, signedInAt: nil, password: Self.password, clientAddress: nil)
        #expect(try await store.passkeys(accountID: ada.id).isEmpty)
    }

    @Test func aPasswordOnlySignInIsRefusedOnceAPasskeyExists() async throws {
        let ada = try await account()
        _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: stamp)
        _ = try await register(for: ada)
        do {
            _ = try await store.apply([.requireNoSecondFactor(accountID: ada.id)], stamp: stamp)
            Issue.record("a password-only sign-in passed with a passkey registered")
        } catch let error as StoreError {
            #expect(error.kind == .changed)
        }
        // The password step asks for the passkey instead.
        let proof = try await PasswordLogin(store: store, hasher: hasher, throttle: nil, clock: clock)
            .authenticate(email: ada.email, password: Self.password, clientAddress: nil)
        let challenge = try await SecondFactorSignIn(store: store, throttle: nil, encryption: encryption, clock: clock)
            .challenge(after: proof, staySignedIn: false)
        #expect(challenge?.methods == ["webauthn"])
    }

    // MARK: - Helpers

    var ceremony: SoftwarePasskey.Ceremony { .init(origin: relyingParty.origin, relyingPartyID: relyingParty.id) }

    var stamp: RevocationStamp { RevocationStamp(revokedAt: clock.now, expiresAt: clock.now.addingTimeInterval(360)) }

    /// A new account with ``password``.
    func account(_ email: String = "ada@example.com") async throws -> Account {
        try await AccountService(store: store, hasher: hasher, clock: clock).register(email: email, password: Self.password)
    }

    /// A new software passkey registered to `account` from `session`.
    func register(
        for account: Account,
        session: String = "s1",
        algorithm: SoftwarePasskey.Algorithm = .es256,
        signCount: UInt32 = 1
    ) async throws -> (SoftwarePasskey, Passkey) {
        let options = try await passkeys.registrationOptions(for: account, session: session, signedInAt: clock.now, password: nil, clientAddress: nil)
        let authenticator = try SoftwarePasskey(algorithm: algorithm, userHandle: options.userID, signCount: signCount)
        let response: RegistrationResponse = try Self.decode(authenticator.register(challenge: Base64.encode(options.challenge), ceremony))
        return (authenticator, try await passkeys.register(response, name: nil, for: account, session: session))
    }

    /// An assertion by `authenticator` over new sign-in options.
    func assertion(by authenticator: inout SoftwarePasskey, mfaToken: String? = nil) async throws -> AssertionResponse {
        let options = try await signIn.options(mfaToken: mfaToken)
        return try Self.decode(authenticator.assert(challenge: Base64.encode(options.challenge), ceremony))
    }

    /// Completes a sign-in, committing its writes as the caller's transaction would.
    func complete(_ response: AssertionResponse, mfaToken: String? = nil, staySignedIn: Bool = false) async throws -> SecondFactorSignIn.Completion {
        try await signIn.complete(response, mfaToken: mfaToken, staySignedIn: staySignedIn, clientAddress: nil) { completion in
            _ = try await store.apply(completion.writes, stamp: stamp)
            return completion
        }
    }

    /// The `mfa_token` a right password yields for an account with a second factor.
    func mfaToken(_ email: String) async throws -> String {
        let proof = try await PasswordLogin(store: store, hasher: hasher, throttle: nil, clock: clock)
            .authenticate(email: email, password: Self.password, clientAddress: nil)
        let challenge = try await SecondFactorSignIn(store: store, throttle: nil, encryption: encryption, clock: clock)
            .challenge(after: proof, staySignedIn: true)
        let token = try #require(challenge?.token)
        #expect(challenge?.methods == ["webauthn"])
        return token
    }

    /// A response decoded from the JSON a browser would send.
    static func decode<Response: Decodable>(_ json: [String: any Sendable]) throws -> Response {
        try JSONDecoder().decode(Response.self, from: JSONSerialization.data(withJSONObject: json))
    }

    /// Expects `body` to throw a ``PortcullisError`` of `kind`.
    func expectRefused(
        _ kind: PortcullisError.Kind,
        _ comment: Comment? = nil,
        sourceLocation: SourceLocation = #_sourceLocation,
        _ body: () async throws -> Void
    ) async {
        do {
            try await body()
            Issue.record("accepted; expected \(kind)", sourceLocation: sourceLocation)
        } catch let error as PortcullisError {
            #expect(error.kind == kind, comment, sourceLocation: sourceLocation)
        } catch {
            Issue.record("\(error); expected \(kind)", sourceLocation: sourceLocation)
        }
    }
}

/// Log entries, each message with its `portcullis.reason`.
final class RecordedLogs: Sendable {
    private let entries = Mutex<[(message: String, reason: String?)]>([])

    var all: [(message: String, reason: String?)] { entries.withLock { $0 } }
    var reasons: [String] { all.compactMap(\.reason) }

    func append(_ message: String, reason: String?) { entries.withLock { $0.append((message, reason)) } }
}

/// Keeps what is logged in ``RecordedLogs``.
struct RecordingLogHandler: LogHandler {
    let logs: RecordedLogs
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        logs.append(event.message.description, reason: event.metadata?["portcullis.reason"].map { "\($0)" })
    }
}
