import Foundation
import Logging
import PortcullisCore
import PortcullisTesting
import PortcullisTokens
import Testing

/// Reset, change and verification in the core, with a memory store, a clock moved by hand and a
/// transport that records what it is given.
@Suite("Account recovery")
struct AccountRecoveryTests {
    let store = MemoryStore()
    let clock = ManualClock()
    let transport = RecordingMailTransport()
    let hasher = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
    let mailer: AccountMailer
    let sessions: SessionManager
    let tokens: TokenService
    let accounts: AccountService
    let recovery: AccountRecovery
    let delivery: MailDelivery
    let encryption: KeyEncryptionKey

    init() throws {
        let encryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
        self.encryption = encryption
        let policy = TokenPolicy(issuer: "https://auth.example.com")
        mailer = AccountMailer(settings: .init(publicURL: "https://auth.example.com"), encryption: encryption, clock: clock)
        sessions = SessionManager(store: store, clock: clock)
        tokens = TokenService(
            store: store,
            keyRing: KeyRing(store: store, encryption: encryption, policy: policy, clock: clock),
            encryption: encryption,
            policy: policy,
            clock: clock
        )
        let throttle = CredentialThrottle(ledger: store.attemptLedger, clock: clock)
        accounts = AccountService(
            store: store,
            hasher: hasher,
            throttle: throttle,
            sessions: sessions,
            mailer: mailer,
            revocationHorizon: policy.revocationHorizon,
            clock: clock
        )
        recovery = AccountRecovery(
            store: store,
            hasher: hasher,
            throttle: throttle,
            sessions: sessions,
            mailer: mailer,
            revocationHorizon: policy.revocationHorizon,
            clock: clock
        )
        delivery = MailDelivery(store: store, mailer: mailer, transport: transport, clock: clock, logger: Logger(label: "test"))
    }

    /// Runs delivery rounds until `count` messages have been sent (the requests queue their mail
    /// after answering).
    func deliver(until count: Int) async throws {
        for _ in 0..<200 where transport.sent.count < count {
            try await delivery.deliverDue()
            if transport.sent.count < count { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(transport.sent.count >= count)
    }

    @Test func registrationMailsAVerificationLinkThatConfirmsOnce() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        #expect(!ada.isEmailVerified)
        try await deliver(until: 1)
        let mail = try #require(transport.sent.first)
        #expect(mail.to == "ada@example.com")
        #expect(mail.html.contains("<a href=\"https://auth.example.com/verify-email?token="))
        let token = try #require(transport.token("/verify-email", to: "ada@example.com"))
        #expect(token.utf8.count == 43)  // 256 bits, base64url
        #expect(try await recovery.confirmEmail(token: token).isEmailVerified)
        await #expect(throws: PortcullisError.self) { try await recovery.confirmEmail(token: token) }
        #expect(try await store.account(id: ada.id)?.isEmailVerified == true)
    }

    @Test func aResetEndsEverythingAndItsLinkWorksOnceWithinItsLifetime() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let browser = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let app = try await tokens.issue(for: ada, audience: nil)
        try await recovery.requestPasswordReset(email: "ADA@example.com", clientAddress: "192.0.2.1")
        try await deliver(until: 2)
        let token = try #require(transport.token("/reset-password", to: "ada@example.com"))
        // Opening the link's page (reading the token) changes nothing; a weak password uses nothing either.
        await #expect(throws: PortcullisError.self) { try await recovery.resetPassword(token: token, newPassword: "short") }
        clock.advance(by: .seconds(1))
        let reset = try await recovery.resetPassword(token: token, newPassword: "a brand new passphrase for ada")
        #expect(reset.isEmailVerified, "the link came by mail: the address is proven")
        #expect(try await sessions.validate(browser.secret) == nil)
        await #expect(throws: TokenRejection.self) { try await tokens.authenticate(bearer: app.accessToken) }
        await #expect(throws: PortcullisError.self) { try await tokens.refresh(try #require(app.refreshToken), audience: nil) }
        #expect(try await hasher.verify("a brand new passphrase for ada", against: try #require(try await store.passwordHash(accountID: ada.id))))
        // Once only.
        do {
            try await recovery.resetPassword(token: token, newPassword: "yet another passphrase here")
            Issue.record("the link worked twice")
        } catch let error as PortcullisError {
            #expect(error.kind == .invalidToken)
        }
        // The notice went out.
        try await deliver(until: 3)
        #expect(transport.sent.contains { $0.subject.contains("password was changed") })
    }

    @Test func aResetLinkExpiresAndDiesWhenAnotherResetOrAChangeSucceeds() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        for _ in 0..<3 { try await recovery.requestPasswordReset(email: "ada@example.com", clientAddress: nil) }
        try await deliver(until: 4)
        let links = transport.sent.filter { $0.subject.contains("Reset") }.compactMap { content in
            content.text.split(whereSeparator: \.isWhitespace).first { $0.contains("token=") }.flatMap { $0.components(separatedBy: "token=").last }
        }
        #expect(links.count == 3)
        // One is used: the others die with it.
        try await recovery.resetPassword(token: links[0], newPassword: "a brand new passphrase for ada")
        for other in links.dropFirst() {
            await #expect(throws: PortcullisError.self) { try await recovery.resetPassword(token: other, newPassword: "yet another passphrase here") }
        }
        // A change of password kills outstanding links too.
        try await recovery.requestPasswordReset(email: "ada@example.com", clientAddress: nil)
        try await deliver(until: 6)
        let pending = try #require(transport.token("/reset-password", to: "ada@example.com"))
        try await recovery.changePassword(
            account: ada,
            keepingSession: nil,
            current: "a brand new passphrase for ada",
            new: "changed again, on purpose",
            clientAddress: nil
        )
        await #expect(throws: PortcullisError.self) { try await recovery.resetPassword(token: pending, newPassword: "yet another passphrase here") }
        // And a link ages out after 30 minutes.
        try await recovery.requestPasswordReset(email: "ada@example.com", clientAddress: nil)
        try await deliver(until: 8)
        let late = try #require(transport.token("/reset-password", to: "ada@example.com"))
        clock.advance(by: .seconds(30 * 60))
        await #expect(throws: PortcullisError.self) { try await recovery.resetPassword(token: late, newPassword: "yet another passphrase here") }
    }

    @Test func aChangeKeepsTheCurrentSessionEndsTheRestAndAWrongCurrentPasswordCounts() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let here = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let elsewhere = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let app = try await tokens.issue(for: ada, audience: nil)
        for _ in 0..<10 {
            do {
                try await recovery.changePassword(
                    account: ada,
                    keepingSession: here.session.id,
                    current: "not my password at all",
                    new: "x",
                    clientAddress: "192.0.2.1"
                )
                Issue.record("a wrong current password was accepted")
            } catch let error as PortcullisError {
                #expect(error.kind == .forbidden)
            }
        }
        // Ten wrong ones fill the account's sign-in allowance, as failed sign-ins do.
        await #expect(throws: PortcullisError.self) {
            try await recovery.changePassword(
                account: ada,
                keepingSession: here.session.id,
                current: "correct horse battery staple",
                new: "a brand new passphrase for ada",
                clientAddress: "192.0.2.1"
            )
        }
        clock.advance(by: .seconds(15 * 60))
        try await recovery.changePassword(
            account: ada,
            keepingSession: here.session.id,
            current: "correct horse battery staple",
            new: "a brand new passphrase for ada",
            clientAddress: "192.0.2.1"
        )
        #expect(try await sessions.validate(here.secret) != nil)
        #expect(try await sessions.validate(elsewhere.secret) == nil)
        await #expect(throws: TokenRejection.self) { try await tokens.authenticate(bearer: app.accessToken) }
    }

    @Test func resetRequestsForUnknownOrDisabledAccountsSendNothing() async throws {
        let eve = try await accounts.register(email: "eve@example.com", password: "correct horse battery staple")
        _ = try await accounts.change(accountID: eve.id, AccountChange(disabled: true))
        try await deliver(until: 1)  // Eve's verification mail
        try await recovery.requestPasswordReset(email: "nobody@example.com", clientAddress: nil)
        try await recovery.requestPasswordReset(email: "eve@example.com", clientAddress: nil)
        try await Task.sleep(for: .milliseconds(200))
        try await delivery.deliverDue()
        #expect(transport.sent.count == 1)
        await #expect(throws: PortcullisError.self) { try await recovery.requestPasswordReset(email: "not an email", clientAddress: nil) }
    }

    @Test func linksToOneAddressAreCappedSilentlyAndEachKindApart() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        _ = try await accounts.change(accountID: ada.id, AccountChange(emailVerified: true))
        try await deliver(until: 1)  // the verification mail of the registration
        // A stranger asks for verification links to Ada's (verified) address until its count is
        // full: nothing is mailed, and her reset links are untouched by it.
        for _ in 0..<8 { try await recovery.requestVerification(email: "ada@example.com", clientAddress: nil) }
        // Six reset requests in the hour: each answered alike, five links mailed.
        for _ in 0..<6 { try await recovery.requestPasswordReset(email: "ada@example.com", clientAddress: nil) }
        try await deliver(until: 6)
        try await Task.sleep(for: .milliseconds(200))
        try await delivery.deliverDue()
        let resets = transport.sent.filter { $0.text.contains("/reset-password?token=") }
        #expect(resets.count == 5)
        #expect(transport.sent.count == 6)
        // An hour later the count has room again.
        clock.advance(by: .seconds(3601))
        try await recovery.requestPasswordReset(email: "ada@example.com", clientAddress: nil)
        try await deliver(until: 7)
    }

    @Test func mailRequestsFromOneNetworkAreRefusedBeyondItsAllowance() async throws {
        for index in 0..<20 { try await recovery.requestPasswordReset(email: "user\(index)@example.com", clientAddress: "2001:db8::\(index)") }
        await #expect(throws: PortcullisError.self) {
            try await recovery.requestPasswordReset(email: "another@example.com", clientAddress: "2001:db8::ffff")
        }
        await #expect(throws: PortcullisError.self) {
            try await recovery.requestVerification(email: "another@example.com", clientAddress: "2001:db8::1")
        }
        try await recovery.requestPasswordReset(email: "another@example.com", clientAddress: "2001:db8:1::1")
    }

    @Test func aServerThatIsDownDelaysMailAndAPermanentRefusalIsAbandoned() async throws {
        _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        transport.set(.fail(transient: true))
        for _ in 0..<5 {
            try await delivery.deliverDue()
            clock.advance(by: .seconds(60))
        }
        #expect(transport.attempts >= 3, "retried")
        #expect(try await store.pendingMailCount() == 1, "never lost")
        transport.set(.accept)
        clock.advance(by: .seconds(300))
        try await delivery.deliverDue()
        #expect(transport.sent.count == 1)
        #expect(try await store.pendingMailCount() == 0)

        _ = try await accounts.register(email: "bob@example.com", password: "correct horse battery staple")
        transport.set(.fail(transient: false))
        for _ in 0..<5 {
            try await delivery.deliverDue()
            clock.advance(by: .seconds(600))
        }
        #expect(try await store.pendingMailCount() == 0, "given up after three permanent refusals")
        #expect(transport.sent.count == 1)
    }

    @Test func theOutboxHoldsNoReadableLink() async throws {
        _ = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        let queued = try #require(try await store.claimMail(now: clock.now, lease: .seconds(1), limit: 1).first)
        #expect(!String(decoding: queued.sealedContent, as: UTF8.self).contains("verify-email"))
        #expect(!String(decoding: queued.sealedContent, as: UTF8.self).contains("ada@example.com"))
        #expect(try mailer.open(queued).to == "ada@example.com")
    }

    @Test func whenVerificationIsRequiredNoGrantGivesAnUnconfirmedAccountAToken() async throws {
        let ada = try await accounts.register(email: "ada@example.com", password: "correct horse battery staple")
        // A session and an app from before the setting was turned on.
        let browser = try await sessions.start(account: ada, remember: false, userAgent: nil, ipAddress: nil)
        let app = try await tokens.issue(for: ada, audience: nil)
        var policy = TokenPolicy(issuer: "https://auth.example.com")
        policy.requireVerifiedEmail = true
        let strict = TokenService(
            store: store,
            keyRing: KeyRing(store: store, encryption: encryption, policy: policy, clock: clock),
            encryption: encryption,
            policy: policy,
            clock: clock
        )
        for grant in ["password", "refresh", "exchange"] {
            do {
                switch grant {
                case "password": _ = try await strict.issue(for: ada, audience: nil)
                case "refresh": _ = try await strict.refresh(try #require(app.refreshToken), audience: nil)
                default: _ = try await strict.exchange(session: browser.session, account: ada, audience: nil)
                }
                Issue.record("the \(grant) grant gave an unconfirmed account a token")
            } catch let error as PortcullisError {
                #expect(error.kind == .emailNotVerified, "\(grant)")
            }
        }
        let confirmed = try await accounts.change(accountID: ada.id, AccountChange(emailVerified: true))
        #expect(try await strict.exchange(session: browser.session, account: #require(confirmed), audience: nil).claims.emailVerified == true)
    }
}
