import Hummingbird
import PortcullisCore

/// Password reset, password change and email verification over the API. With mail off each
/// answers 503 (`/problems/mail-disabled`): none of them can work without it.
struct RecoveryRoutes {
    let services: PortcullisServices

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/password-reset") { request, context in
            let input = try await request.decodeJSON(as: EmailInput.self)
            try await recovery().requestPasswordReset(email: input.email, clientAddress: context.clientAddress)
            return try Response.json(Accepted(), status: .accepted)
        }
        router.post("v1/password-reset/confirm") { request, context in
            let input = try await request.decodeJSON(as: ResetInput.self)
            try await recovery().resetPassword(token: input.token, newPassword: input.password)
            return Response(status: .noContent)
        }
        router.post("v1/password") { request, context in
            let recovery = try recovery()
            let caller = try context.requireCaller()
            let input = try await request.decodeJSON(as: ChangeInput.self)
            try await recovery.changePassword(
                account: caller.account,
                keepingSession: caller.sessionID,
                current: input.currentPassword,
                new: input.newPassword,
                clientAddress: context.clientAddress
            )
            return Response(status: .noContent)
        }
        router.post("v1/email-verification") { _, context in
            let recovery = try recovery()
            let caller = try context.requireCaller()
            try await recovery.sendVerification(to: caller.account, clientAddress: context.clientAddress)
            return try Response.json(Accepted(), status: .accepted)
        }
        router.post("v1/email-verification/confirm") { request, context in
            let input = try await request.decodeJSON(as: TokenInput.self)
            try await recovery().confirmEmail(token: input.token)
            return Response(status: .noContent)
        }
    }

    /// The recovery use cases, or the 503 that says mail is off.
    private func recovery() throws -> AccountRecovery {
        guard let recovery = services.recovery else {
            throw PortcullisError(.mailDisabled, "This server sends no mail, so it cannot reset passwords or verify addresses.")
        }
        return recovery
    }

    /// The same answer whether or not the address has an account.
    struct Accepted: Encodable {
        let status = "accepted"
    }

    struct EmailInput: Decodable {
        let email: String
    }

    struct TokenInput: Decodable {
        let token: String
    }

    struct ResetInput: Decodable {
        let token: String
        let password: String
    }

    struct ChangeInput: Decodable {
        let currentPassword: String
        let newPassword: String

        enum CodingKeys: String, CodingKey {
            case currentPassword = "current_password"
            case newPassword = "new_password"
        }
    }
}
