import HTTPTypes
import Hummingbird
import Logging
import PortcullisCore

/// The pages of account recovery: "forgot your password", the pages mail links open (reset,
/// verify), and the account page's password change and "send the link again". With mail off
/// none of them is offered, and their addresses answer 404.
///
/// Opening a link only shows a form; its token is used by the form's post, so a mail scanner
/// that fetches every link changes nothing.
struct RecoveryPageRoutes {
    let services: PortcullisServices

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.get("forgot-password") { _, _ in
            guard services.recovery != nil else { return Self.notOffered }
            return ForgotPasswordPage().page.response()
        }
        router.post("forgot-password", use: requestReset)
        router.get("reset-password") { request, _ in
            guard services.recovery != nil else { return Self.notOffered }
            guard let token = Self.linkToken(request) else { return MessagePage.linkExpired.page.response(status: .badRequest) }
            return ResetPasswordPage(token: token).page.response()
        }
        router.post("reset-password", use: reset)
        router.get("verify-email") { request, _ in
            guard services.recovery != nil else { return Self.notOffered }
            guard let token = Self.linkToken(request) else { return MessagePage.linkExpired.page.response(status: .badRequest) }
            return VerifyEmailPage(token: token).page.response()
        }
        router.post("verify-email", use: confirmEmail)
        router.post("verify-email/resend", use: resendVerification)
        router.post("account/email-verification") { request, context in
            guard let recovery = services.recovery else { return Self.notOffered }
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    try await recovery.sendVerification(to: current.account, clientAddress: context.clientAddress)
                } catch let error as PortcullisError where error.kind == .throttled {
                    return Self.tooMany(error)
                }
                return PageRoutes.seeOther("/account", notice: .verificationSent)
            }
        }
        router.post("account/password", use: changePassword)
    }

    // MARK: Actions

    @Sendable func requestReset<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let recovery = services.recovery else { return Self.notOffered }
        let form = try await request.decodeForm(as: EmailForm.self)
        do {
            try await recovery.requestPasswordReset(email: form.email ?? "", clientAddress: context.clientAddress)
        } catch let error as PortcullisError where error.kind == .invalidEmail || error.kind == .inputTooLarge {
            let page = ForgotPasswordPage(
                email: form.email ?? "",
                error: FormError(title: "Check the email address", message: error.reason, field: .email)
            )
            return page.page.response(status: .badRequest)
        } catch let error as PortcullisError where error.kind == .throttled {
            return Self.tooMany(error)
        }
        return CheckInboxPage().page.response()
    }

    @Sendable func reset<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let recovery = services.recovery else { return Self.notOffered }
        let form = try await request.decodeForm(as: ResetForm.self)
        let token = form.token ?? ""
        do {
            try await recovery.resetPassword(token: token, newPassword: form.password ?? "")
        } catch let error as PortcullisError {
            switch error.kind {
            case .invalidToken:
                return MessagePage.linkExpired.page.response(status: .badRequest)
            case .weakPassword, .inputTooLarge:
                let page = ResetPasswordPage(
                    token: token,
                    error: FormError(title: "Choose another password", message: error.reason, field: .password)
                )
                return page.page.response(status: .badRequest)
            case .busy:
                return Self.tooMany(error)
            default:
                throw error
            }
        }
        // Every session of the account has ended, this browser's included.
        return PageRoutes.signedOut(.passwordReset)
    }

    @Sendable func confirmEmail<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let recovery = services.recovery else { return Self.notOffered }
        let form = try await request.decodeForm(as: TokenForm.self)
        do {
            try await recovery.confirmEmail(token: form.token ?? "")
        } catch let error as PortcullisError where error.kind == .invalidToken {
            return MessagePage.linkExpired.page.response(status: .badRequest)
        }
        return PageRoutes.seeOther(context.session == nil ? "/login" : "/account", notice: .emailVerified)
    }

    @Sendable func resendVerification<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let recovery = services.recovery else { return Self.notOffered }
        let form = try await request.decodeForm(as: EmailForm.self)
        do {
            try await recovery.requestVerification(email: form.email ?? "", clientAddress: context.clientAddress)
        } catch let error as PortcullisError where error.kind == .throttled {
            return Self.tooMany(error)
        } catch let error as PortcullisError where error.kind == .invalidEmail || error.kind == .inputTooLarge {
            return MessagePage.linkExpired.page.response(status: .badRequest)
        }
        return CheckInboxPage().page.response()
    }

    @Sendable func changePassword<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        guard let recovery = services.recovery else { return Self.notOffered }
        return try await PageRoutes.withFormSession(context) { current in
            let form = try await request.decodeForm(as: ChangeForm.self)
            do {
                try await recovery.changePassword(
                    account: current.account,
                    keepingSession: current.session.id,
                    current: form.currentPassword ?? "",
                    new: form.newPassword ?? "",
                    clientAddress: context.clientAddress
                )
            } catch let error as PortcullisError {
                switch error.kind {
                case .forbidden, .weakPassword, .inputTooLarge:
                    let message = error.kind == .forbidden ? "The current password is not right. Nothing was changed." : error.reason
                    return MessagePage(title: "Password not changed", message: message).page.response(
                        status: error.kind == .forbidden ? .forbidden : .badRequest
                    )
                case .throttled, .busy:
                    return Self.tooMany(error)
                default:
                    throw error
                }
            }
            return PageRoutes.seeOther("/account", notice: .passwordChanged)
        }
    }

    /// The link's `token`, if it has the shape of one we mail (43 base64url characters): anything
    /// else is never echoed into a page.
    static func linkToken(_ request: Request) -> String? {
        guard let token = request.uri.queryParameters["token"].map(String.init), AccountMailer.tokenHash(token) != nil else { return nil }
        return token
    }

    // MARK: Answers

    /// 404 for the pages of a feature that is off.
    static var notOffered: Response {
        MessagePage(title: "Not available", message: "This server sends no mail, so it cannot do this.").page.response(status: .notFound)
    }

    /// 429 or 503 with when to come back.
    static func tooMany(_ error: PortcullisError) -> Response {
        let (status, formError, headers) = PageRoutes.comeBackLater(error, doing: "Sending mail")
        return MessagePage(title: formError.title, message: formError.message).page.response(status: status, headers: headers)
    }

    struct EmailForm: Decodable {
        let email: String?
    }

    struct TokenForm: Decodable {
        let token: String?
    }

    struct ResetForm: Decodable {
        let token: String?
        let password: String?
    }

    struct ChangeForm: Decodable {
        let currentPassword: String?
        let newPassword: String?
        let csrfToken: String?

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
            case csrfToken = "csrf_token"
        }
    }
}
