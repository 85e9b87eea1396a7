import Hummingbird
import PortcullisCore

/// Renaming and removing a passkey from the account page (plain forms with the session's CSRF
/// token). Adding one goes through the API from the passkey script, because only script can
/// reach the authenticator.
struct PasskeyPageRoutes {
    let services: PortcullisServices

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("account/passkeys/{id}/rename") { request, context in
            let form = try await request.decodeForm(as: RenameForm.self)
            let id = try context.parameters.require("id")
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    _ = try await services.passkeys.rename(id, to: form.name, for: current.account)
                } catch let error as PortcullisError where error.kind == .notFound {
                    return PageRoutes.seeOther("/account")
                }
                return PageRoutes.seeOther("/account", notice: .passkeyRenamed)
            }
        }
        router.post("account/passkeys/{id}/remove") { request, context in
            let form = try await request.decodeForm(as: TwoStepPageRoutes.PasswordForm.self)
            let id = try context.parameters.require("id")
            return try await PageRoutes.withFormSession(context) { current in
                do {
                    try await services.passkeys.remove(
                        id,
                        for: current.account,
                        keepingSession: current.session.id,
                        signedInAt: current.session.createdAt,
                        password: form.password.flatMap { $0.isEmpty ? nil : $0 },
                        clientAddress: context.clientAddress
                    )
                } catch let error as PortcullisError where error.kind == .notFound {
                    return PageRoutes.seeOther("/account")
                } catch let error as PortcullisError {
                    return try TwoStepPageRoutes.refusal(error, wrongPassword: .passkeyPasswordNeeded, doing: "Changing your passkeys")
                }
                return PageRoutes.seeOther("/account", notice: .passkeyRemoved)
            }
        }
    }

    struct RenameForm: Decodable {
        let name: String?
    }
}
