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
    /// A browser just signed in.
    struct SignedIn {
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

    /// Checks the credentials and starts a session.
    /// - Throws: ``PortcullisError`` `invalidCredentials`, `throttled` or `inputTooLarge`.
    func signIn<Context: PortcullisAuthRequestContext>(
        email: String,
        password: String,
        remember: Bool,
        request: Request,
        context: Context
    ) async throws -> SignedIn {
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
            signedIn = try await startSession(
                for: proof.account,
                passwordHash: proof.passwordHash,
                remember: remember,
                request: request,
                context: context
            )
        } catch let error as PortcullisError where error.kind == .invalidCredentials {
            failures.increment()
            throw error
        }
        successes.increment()
        return signedIn
    }

    /// Starts a session for `account`, whose credentials the caller has just proven (against
    /// `passwordHash`, when they include a password: see ``PasswordLogin/Proof``). The session the
    /// request came with, if any, ends: its cookie is about to be replaced.
    func startSession<Context: PortcullisAuthRequestContext>(
        for account: Account,
        passwordHash: String?,
        remember: Bool,
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
            passwordHash: passwordHash
        )
        let session = started.session
        let maxAge = Int(session.absoluteExpiry.timeIntervalSince(session.createdAt))
        return SignedIn(
            authenticated: AuthenticatedSession(validated: .init(session: session, account: account), secret: started.secret, passesCSRFCheck: true),
            setCookie: SessionCookie.setting(started.secret, maxAge: maxAge)
        )
    }
}
