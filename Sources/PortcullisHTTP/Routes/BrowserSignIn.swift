import Hummingbird
import Metrics
import PortcullisCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signing a browser in: the password check behind the throttle, then a fresh session and the
/// cookie that carries it. Shared by `POST /v1/sessions` and the login and registration pages,
/// so every way in counts logins the same way and never promotes an old cookie (docs/security.md#sessions-and-cookies).
struct BrowserSignIn {
    /// Where a password sign-in got to.
    enum Outcome {
        /// Signed in.
        case signedIn(SignedIn)
        /// The password was right; the account's second factor is owed (``completeSecondFactor(token:code:request:context:)``).
        case secondFactorRequired(SecondFactorSignIn.Challenge)
    }

    /// A browser just signed in.
    struct SignedIn: Sendable {
        /// The new session, as later requests will see it.
        let authenticated: AuthenticatedSession
        /// The `Set-Cookie` value that hands the browser its secret.
        let setCookie: String
    }

    let services: PortcullisServices

    private let successes = Counter(label: "portcullis_logins_total", dimensions: [("result", "success")])
    private let failures = Counter(label: "portcullis_logins_total", dimensions: [("result", "failure")])
    private let throttled = Counter(label: "portcullis_logins_total", dimensions: [("result", "throttled")])
    private let busy = Counter(label: "portcullis_logins_total", dimensions: [("result", "busy")])

    init(services: PortcullisServices) {
        self.services = services
    }

    /// Checks the credentials and starts a session, or, for an account with a second factor,
    /// answers the challenge the second step completes.
    /// - Throws: ``PortcullisError`` `invalidCredentials`, `throttled` or `inputTooLarge`.
    func signIn<Context: PortcullisAuthRequestContext>(
        email: String,
        password: String,
        remember: Bool,
        request: Request,
        context: Context
    ) async throws -> Outcome {
        let proof: PasswordLogin.Proof
        do {
            proof = try await services.login.authenticate(email: email, password: password, clientAddress: context.clientAddress)
        } catch let error as PortcullisError {
            switch error.kind {
            case .throttled: throttled.increment()
            case .busy: busy.increment()
            default: failures.increment()
            }
            throw error
        }
        let signedIn: SignedIn
        do {
            if let challenge = try await services.secondFactor.challenge(after: proof, staySignedIn: remember) {
                return .secondFactorRequired(challenge)
            }
            // Under the condition that the account still has no second factor: one turned on while
            // this sign-in was in flight makes it fail rather than slip past the change.
            signedIn = try await startSession(
                for: proof.account,
                passwordHash: proof.passwordHash,
                remember: remember,
                alongside: [.requireNoSecondFactor(accountID: proof.account.id)],
                request: request,
                context: context
            )
        } catch let error as PortcullisError where error.kind == .invalidCredentials {
            failures.increment()
            throw error
        }
        successes.increment()
        return .signedIn(signedIn)
    }

    /// The second step: the challenge of ``signIn(email:password:remember:request:context:)`` and a
    /// code from the authenticator app or a recovery code.
    /// - Throws: ``PortcullisError`` `invalidCredentials` (``PortcullisError/invalidCode``,
    ///   ``PortcullisError/invalidChallenge``), `throttled`.
    func completeSecondFactor<Context: PortcullisAuthRequestContext>(
        token: String,
        code: String,
        request: Request,
        context: Context
    ) async throws -> SignedIn {
        try await counted {
            try await services.secondFactor.complete(token: token, code: code, clientAddress: context.clientAddress) { completion in
                try await startSession(after: completion, request: request, context: context)
            }
        }
    }

    /// Signs in with a passkey: alone (a discoverable credential, `mfaToken` `nil`), or as the
    /// second step of a password sign-in.
    /// - Throws: ``PortcullisError`` `invalidCredentials`, `invalidRequest`, `throttled`, `emailNotVerified`.
    func signInWithPasskey<Context: PortcullisAuthRequestContext>(
        _ credential: AssertionResponse,
        mfaToken: String?,
        remember: Bool,
        request: Request,
        context: Context
    ) async throws -> SignedIn {
        try await counted {
            try await services.passkeySignIn.complete(credential, mfaToken: mfaToken, staySignedIn: remember, clientAddress: context.clientAddress) {
                completion in
                try await startSession(after: completion, request: request, context: context)
            }
        }
    }

    /// Runs a sign-in step and counts how it ended in `portcullis_logins_total`.
    private func counted(_ step: () async throws -> SignedIn) async throws -> SignedIn {
        do {
            let signedIn = try await step()
            successes.increment()
            return signedIn
        } catch let error as PortcullisError {
            switch error.kind {
            case .throttled: throttled.increment()
            default: failures.increment()
            }
            throw error
        }
    }

    /// Starts the session a completed second step (or passkey sign-in) proved, in the transaction
    /// that uses its challenge and factor.
    private func startSession<Context: PortcullisAuthRequestContext>(
        after completion: SecondFactorSignIn.Completion,
        request: Request,
        context: Context
    ) async throws -> SignedIn {
        try await startSession(
            for: completion.account,
            passwordHash: completion.passwordHash,
            remember: completion.staySignedIn,
            authMethods: completion.methods,
            alongside: completion.writes,
            request: request,
            context: context
        )
    }

    /// Starts a session for `account`, whose credentials the caller has just proven (against
    /// `passwordHash`, when they include a password: see ``PasswordLogin/Proof``). The session the
    /// request came with, if any, ends: its cookie is about to be replaced.
    func startSession<Context: PortcullisAuthRequestContext>(
        for account: Account,
        passwordHash: String?,
        remember: Bool,
        authMethods: [AuthenticationMethod] = [.password],
        alongside: [StoreWrite] = [],
        request: Request,
        context: Context
    ) async throws -> SignedIn {
        if let replaced = context.session {
            _ = try await services.sessions.end(sessionID: replaced.session.id)
        }
        let started = try await services.sessions.start(
            account: account,
            remember: remember,
            userAgent: request.headers[.userAgent],
            ipAddress: context.clientAddress,
            passwordHash: passwordHash,
            authMethods: authMethods,
            alongside: alongside
        )
        let session = started.session
        let maxAge = Int(session.absoluteExpiry.timeIntervalSince(session.createdAt))
        return SignedIn(
            authenticated: AuthenticatedSession(validated: .init(session: session, account: account), secret: started.secret, passesCSRFCheck: true),
            setCookie: SessionCookie.setting(started.secret, maxAge: maxAge)
        )
    }
}
