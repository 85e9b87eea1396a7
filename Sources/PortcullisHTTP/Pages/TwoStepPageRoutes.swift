import Hummingbird
import PortcullisCore

/// Two-step verification from the account page: set up (key, first code, recovery codes), new
/// recovery codes, and turning it off with the password. Each form carries the session's CSRF token.
struct TwoStepPageRoutes {
    let services: PortcullisServices
    var twoStep: TwoStepVerification { services.twoStep }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("account/two-step") { request, context in
            let form = try await request.decodeForm(as: PasswordForm.self)
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    let enrolment = try await twoStep.begin(
                        for: current.account,
                        signedInAt: current.session.createdAt,
                        password: form.password,
                        clientAddress: context.clientAddress
                    )
                    return TwoStepPages.setup(enrolment, csrfToken: current.secret.csrfToken).response(headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError {
                    return try Self.refusal(error, wrongPassword: .twoStepPasswordNeeded)
                }
            }
        }
        router.post("account/two-step/confirm") { request, context in
            let form = try await request.decodeForm(as: CodeForm.self)
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    let codes = try await twoStep.confirm(for: current.account, code: form.code ?? "", keepingSession: current.session.id)
                    return TwoStepPages.recoveryCodes(codes).response(headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError where error.kind == .invalidCredentials {
                    guard let enrolment = try await twoStep.pendingEnrolment(for: current.account) else { return PageRoutes.seeOther("/account") }
                    let formError = FormError(
                        title: "Could not turn it on",
                        message: "That code is not right. Check the app's clock and try the next one."
                    )
                    return TwoStepPages.setup(enrolment, csrfToken: current.secret.csrfToken, error: formError)
                        .response(status: .unauthorized, headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError where error.kind == .invalidRequest {
                    return PageRoutes.seeOther("/account")
                }
            }
        }
        router.post("account/two-step/recovery-codes") { request, context in
            let form = try await request.decodeForm(as: PasswordForm.self)
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    let codes = try await twoStep.newRecoveryCodes(
                        for: current.account,
                        keepingSession: current.session.id,
                        signedInAt: current.session.createdAt,
                        password: form.password,
                        clientAddress: context.clientAddress
                    )
                    return TwoStepPages.recoveryCodes(codes).response(headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError {
                    return try Self.refusal(error, wrongPassword: .twoStepPasswordNeeded)
                }
            }
        }
        router.post("account/two-step/off") { request, context in
            let form = try await request.decodeForm(as: PasswordForm.self)
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    try await twoStep.turnOff(
                        for: current.account,
                        password: form.password ?? "",
                        keepingSession: current.session.id,
                        clientAddress: context.clientAddress
                    )
                    return PageRoutes.seeOther("/account", notice: .twoStepOff)
                } catch let error as PortcullisError {
                    return try Self.refusal(error, wrongPassword: .twoStepPasswordWrong)
                }
            }
        }
    }

    /// The answer to a refused change: back to the account page with `wrongPassword`'s notice for
    /// a missing or wrong password, without one when there is nothing to change, or a page that
    /// says when to come back when throttled.
    static func refusal(
        _ error: PortcullisError,
        wrongPassword: PageNotice,
        doing activity: String = "Changing two-step verification"
    ) throws -> Response {
        switch error.kind {
        case .forbidden, .inputTooLarge:
            return PageRoutes.seeOther("/account", notice: wrongPassword)
        case .invalidRequest:
            return PageRoutes.seeOther("/account")
        case .throttled, .busy:
            let (status, formError, headers) = PageRoutes.comeBackLater(error, doing: activity)
            return MessagePage(title: formError.title, message: formError.message).page.response(status: status, headers: headers)
        default:
            throw error
        }
    }

    struct CodeForm: Decodable {
        let code: String?
    }

    /// The password: required to turn the app off, and to set it up or get new recovery codes
    /// when the session's sign-in is not recent.
    struct PasswordForm: Decodable {
        let password: String?
    }
}
