import Hummingbird
import PortcullisCore

/// Two-step verification from the account page: set up (key, first code, recovery codes), new
/// recovery codes, and turning it off with the password. Each form carries the session's CSRF token.
struct TwoStepPageRoutes {
    let services: PortcullisServices
    var twoStep: TwoStepVerification { services.twoStep }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("account/two-step") { _, context in
            try await PageRoutes.withFormSession(context) { current in
                do {
                    let enrolment = try await twoStep.begin(for: current.account)
                    return TwoStepPages.setup(enrolment, csrfToken: current.secret.csrfToken).response(headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError where error.kind == .invalidRequest {
                    return PageRoutes.seeOther("/account")
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
        router.post("account/two-step/recovery-codes") { _, context in
            try await PageRoutes.withFormSession(context) { current in
                do {
                    let codes = try await twoStep.newRecoveryCodes(for: current.account, keepingSession: current.session.id)
                    return TwoStepPages.recoveryCodes(codes).response(headers: [.cacheControl: "no-store"])
                } catch let error as PortcullisError where error.kind == .invalidRequest {
                    return PageRoutes.seeOther("/account")
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
                } catch let error as PortcullisError where error.kind == .forbidden || error.kind == .inputTooLarge {
                    return PageRoutes.seeOther("/account", notice: .twoStepPasswordWrong)
                } catch let error as PortcullisError where error.kind == .invalidRequest {
                    return PageRoutes.seeOther("/account")
                } catch let error as PortcullisError where error.kind == .throttled || error.kind == .busy {
                    let (status, formError, headers) = PageRoutes.comeBackLater(error, doing: "Turning two-step verification off")
                    return MessagePage(title: formError.title, message: formError.message).page.response(status: status, headers: headers)
                }
            }
        }
    }

    struct CodeForm: Decodable {
        let code: String?
    }

    struct PasswordForm: Decodable {
        let password: String?
    }
}
