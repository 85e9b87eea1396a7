import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PortcullisCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The pages people see: sign up, sign in and "your account", rendered on the
/// server and working without JavaScript, and the form actions behind them.
///
/// Every action answers with `303 See Other` once it has done its work (POST/redirect/GET), so
/// reloading a page never repeats an action. Actions of a signed-in person need the session's
/// CSRF token in the `csrf_token` field (checked by the same code as the API); every unsafe
/// request also passes the global Fetch Metadata and `Origin` checks, which are what protect the
/// sign-in and registration forms of a visitor who has no session yet.
struct PageRoutes {
    let services: PortcullisServices
    private let signIn: BrowserSignIn

    init(services: PortcullisServices) {
        self.services = services
        self.signIn = BrowserSignIn(services: services)
    }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        for asset in [StaticAsset.stylesheet, .passkeyScript] {
            router.get(RouterPath(asset.route)) { _, _ in asset.response() }
        }
        router.get("register", use: showRegistration)
        router.post("register", use: createAccount)
        router.get("login", use: showLogin)
        router.post("login", use: logIn)
        router.post("login/code", use: completeSecondFactor)
        router.post("logout") { _, context in
            try await Self.withFormSession(context) { current in
                _ = try await services.sessions.end(sessionID: current.session.id)
                return Self.signedOut(.signedOut)
            }
        }
        router.get("account", use: showAccount)
        router.post("account/sessions/{id}/revoke") { _, context in
            try await Self.withFormSession(context) { current in
                let id = try context.parameters.require("id")
                guard try await services.sessions.end(sessionID: id, accountID: current.account.id) else {
                    return MessagePage.notSignedIn.page.response(status: .notFound)
                }
                return id == current.session.id ? Self.signedOut(.signedOut) : Self.seeOther("/account", notice: .deviceSignedOut)
            }
        }
        router.post("account/sessions/revoke-all") { _, context in
            try await Self.withFormSession(context) { current in
                try await services.accounts.signOutEverywhere(accountID: current.account.id)
                return Self.signedOut(.signedOutEverywhere)
            }
        }
        router.post("account/apps/{id}/revoke") { _, context in
            try await Self.withFormSession(context) { current in
                let id = try context.parameters.require("id")
                guard try await services.tokens.revokeRefreshFamily(id: id, accountID: current.account.id) else {
                    return MessagePage.notSignedIn.page.response(status: .notFound)
                }
                return Self.seeOther("/account", notice: .appRevoked)
            }
        }
    }

    // MARK: Registration

    @Sendable func showRegistration<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        if context.session != nil { return Self.seeOther(LocalRedirect.fallback) }
        return RegistrationPage().page.response()
    }

    @Sendable func createAccount<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let form = try await request.decodeForm(as: RegistrationForm.self)
        var page = RegistrationPage(email: form.email ?? "")
        let status: HTTPResponse.Status
        var headers = HTTPFields()
        do {
            let account = try await services.accounts.register(
                email: form.email ?? "",
                password: form.password ?? "",
                clientAddress: context.clientAddress
            )
            context.logger.info("account registered", metadata: ["portcullis.account_id": "\(account.id)"])
            if services.configuration.requireVerifiedEmail {
                // No session until the address is confirmed: say where the link went.
                let inbox = CheckInboxPage(
                    title: "Confirm your email address",
                    message: "Your account is created. We have sent a link to \(account.email): follow it, then sign in.",
                    resendEmail: services.recovery != nil ? account.email : nil
                )
                return inbox.page.response(status: .created)
            }
            let signedIn = try await signIn.startSession(for: account, passwordHash: nil, remember: false, request: request, context: context)
            return Self.seeOther(LocalRedirect.fallback, notice: .welcome, headers: [.setCookie: signedIn.setCookie])
        } catch let error as PortcullisError {
            switch error.kind {
            case .emailTaken:
                // Registration cannot help revealing that an address is taken; say no more than that.
                status = .conflict
                page.error = FormError(
                    title: "Could not create an account",
                    message: "Could not create an account with this email. If you already have one, sign in.",
                    field: .email
                )
            case .invalidEmail:
                status = .badRequest
                page.error = FormError(title: "Check the email address", message: error.reason, field: .email)
            case .weakPassword:
                status = .badRequest
                page.error = FormError(title: "Choose another password", message: error.reason, field: .password)
            case .inputTooLarge:
                status = .badRequest
                page.error = FormError(title: "Could not create an account", message: error.reason)
            case .throttled, .busy:
                (status, page.error, headers) = Self.comeBackLater(error, doing: "Creating accounts")
            default:
                throw error
            }
        }
        return page.page.response(status: status, headers: headers)
    }

    // MARK: Sign in and out

    @Sendable func showLogin<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let next = request.uri.queryParameters["next"].map(String.init)
        if context.session != nil { return Self.seeOther(LocalRedirect.target(next)) }
        var page = loginPage(next: next)
        page.notice = PageNotice(code: request.uri.queryParameters["notice"])
        return page.page.response()
    }

    @Sendable func logIn<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let form = try await request.decodeForm(as: LoginForm.self)
        let email = form.email ?? ""
        let password = form.password ?? ""
        let remember = form.remember != nil
        var page = loginPage(next: form.next)
        page.email = email
        page.remember = remember
        guard !email.isEmpty, !password.isEmpty else {
            page.error = FormError(title: "Could not sign in", message: "Enter your email address and your password.")
            return page.page.response(status: .badRequest)
        }
        do {
            switch try await signIn.signIn(email: email, password: password, remember: remember, request: request, context: context) {
            case .signedIn(let signedIn):
                return Self.seeOther(LocalRedirect.target(form.next), headers: [.setCookie: signedIn.setCookie])
            case .secondFactorRequired(let challenge):
                return SecondFactorPage(challenge: challenge.token, next: page.next, methods: challenge.methods).page.response(headers: [
                    .cacheControl: "no-store"
                ])
            }
        } catch let error as PortcullisError {
            switch error.kind {
            case .invalidCredentials:
                // Never which of the two: that would tell a stranger the account exists.
                page.error = FormError(title: "Could not sign in", message: "Email or password is incorrect.")
                return page.page.response(status: .unauthorized)
            case .emailNotVerified:
                // The password was right: only now may the page say more, and offer a new link.
                let inbox = CheckInboxPage(
                    title: "Confirm your email address",
                    message:
                        "Before you can sign in, confirm your address with the link we sent you. It may have expired: you can ask for a new one.",
                    resendEmail: services.recovery != nil ? email : nil
                )
                return inbox.page.response(status: .forbidden)
            case .throttled, .busy:
                let (status, formError, headers) = Self.comeBackLater(error, doing: "Sign-in")
                page.error = formError
                return page.page.response(status: status, headers: headers)
            case .inputTooLarge:
                page.error = FormError(title: "Could not sign in", message: error.reason)
                return page.page.response(status: .badRequest)
            default:
                throw error
            }
        }
    }

    @Sendable func completeSecondFactor<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let form = try await request.decodeForm(as: SecondFactorForm.self)
        let next = form.next.flatMap { LocalRedirect.isLocalPath($0) ? $0 : nil }
        var page = SecondFactorPage(challenge: form.mfaToken ?? "", next: next)
        do {
            let signedIn = try await signIn.completeSecondFactor(
                token: form.mfaToken ?? "",
                code: form.code ?? "",
                request: request,
                context: context
            )
            return Self.seeOther(LocalRedirect.target(next), headers: [.setCookie: signedIn.setCookie])
        } catch let error as PortcullisError {
            switch error.kind {
            case .invalidCredentials where error.reason == PortcullisError.invalidCode.reason:
                page.methods = try await services.secondFactor.methods(forChallenge: form.mfaToken ?? "") ?? page.methods
                page.error = FormError(title: "Could not verify", message: "That code is not right, or was already used. Wait for the next one.")
                return page.page.response(status: .unauthorized, headers: [.cacheControl: "no-store"])
            case .invalidCredentials:
                var login = loginPage(next: next)
                login.error = FormError(title: "Sign in again", message: "This sign-in took too long or is already complete.")
                return login.page.response(status: .unauthorized)
            case .throttled, .busy:
                var (status, formError, headers) = Self.comeBackLater(error, doing: "Sign-in")
                headers[.cacheControl] = "no-store"
                page.methods = try await services.secondFactor.methods(forChallenge: form.mfaToken ?? "") ?? page.methods
                page.error = formError
                return page.page.response(status: status, headers: headers)
            default:
                throw error
            }
        }
    }

    /// The answer to a throttled (429) or busy (503) form: when to come back, in words and in `Retry-After`.
    static func comeBackLater(_ error: PortcullisError, doing activity: String) -> (HTTPResponse.Status, FormError, HTTPFields) {
        let seconds = error.retryAfterSeconds ?? 60
        let headers: HTTPFields = [.retryAfter: "\(seconds)"]
        guard error.kind == .throttled else {
            return (.serviceUnavailable, FormError(title: "Busy", message: "The server is busy. Try again in a few seconds."), headers)
        }
        let wait = LoginPage.spoken(.seconds((seconds + 59) / 60 * 60))
        return (
            .tooManyRequests,
            FormError(title: "Too many attempts", message: "For your safety, \(activity.lowercased()) is paused. Try again in \(wait)."), headers
        )
    }

    private func loginPage(next: String?) -> LoginPage {
        LoginPage(
            next: next.flatMap { LocalRedirect.isLocalPath($0) ? $0 : nil },
            rememberLifetimes: services.configuration.sessions.lifetimes(remember: true),
            offersPasswordReset: services.recovery != nil
        )
    }

    // MARK: Account

    @Sendable func showAccount<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let current = context.session else {
            let here = request.uri.path + (request.uri.query.map { "?" + $0 } ?? "")
            return Self.seeOther("/login?next=" + LocalRedirect.queryEncoded(here))
        }
        let accountID = current.account.id
        return AccountPage(
            account: current.account,
            currentSessionID: current.session.id,
            csrfToken: current.secret.csrfToken,
            mailEnabled: services.recovery != nil,
            sessions: try await services.sessions.activeSessions(accountID: accountID),
            apps: try await services.tokens.activeRefreshFamilies(accountID: accountID),
            twoStep: try await services.twoStep.status(of: current.account),
            // A minute early, so the form does not outlast the grace of a recent sign-in.
            twoStepNeedsPassword: services.clock.now.timeIntervalSince(current.session.createdAt)
                > TwoStepVerification.recentSignIn.timeInterval - 60,
            passkeys: try await services.passkeys.list(for: current.account),
            notice: PageNotice(code: request.uri.queryParameters["notice"])
        ).page.response()
    }

    /// Runs `action` for a signed-in person's form post once ``CSRFMiddleware`` has matched its
    /// CSRF token. Without a session the browser is sent to sign in; with a missing or wrong token
    /// the answer is 403 and nothing happens.
    static func withFormSession(
        _ context: some PortcullisAuthRequestContext,
        _ action: (AuthenticatedSession) async throws -> Response
    ) async throws -> Response {
        guard let current = context.session else { return Self.seeOther("/login") }
        guard current.passesCSRFCheck else { return MessagePage.formExpired.page.response(status: .forbidden) }
        return try await action(current)
    }

    // MARK: Answers

    /// `303 See Other` to a path on this server, with a notice for the page there.
    static func seeOther(_ path: String, notice: PageNotice? = nil, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.location] = notice.map { path + (path.contains("?") ? "&" : "?") + $0.query } ?? path
        return Response(status: .seeOther, headers: headers)
    }

    /// To the sign-in page once the request's own session has ended: the cookie cleared.
    static func signedOut(_ notice: PageNotice) -> Response {
        seeOther("/login", notice: notice, headers: SessionRoutes.signedOutHeaders)
    }

    /// The stylesheet, cacheable for a year: its address changes with its content.
    struct RegistrationForm: Decodable {
        let email: String?
        let password: String?
    }

    struct SecondFactorForm: Decodable {
        let mfaToken: String?
        let code: String?
        let next: String?

        enum CodingKeys: String, CodingKey {
            case mfaToken = "mfa_token"
            case code, next
        }
    }

    struct LoginForm: Decodable {
        let email: String?
        let password: String?
        /// Present (`on`) when the box is ticked.
        let remember: String?
        let next: String?
    }
}
