import Hummingbird
import PortcullisCore

/// Two-step verification with an authenticator app over the API: enrolment, confirmation (which
/// answers the recovery codes, once), new recovery codes, and turning it off with the password.
/// Enrolment and new recovery codes take the password too (an optional JSON body) when the
/// caller's sign-in is not recent.
/// Each change of factors ends the account's other sessions and refresh families.
struct SecondFactorRoutes {
    let services: PortcullisServices
    var twoStep: TwoStepVerification { services.twoStep }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.get("v1/mfa") { _, context in
            let status = try await twoStep.status(of: try context.requireCaller().account)
            return try Response.json(StatusBody(status), headers: [.cacheControl: "no-store"])
        }
        router.post("v1/mfa/totp") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeOptionalJSON(as: PasswordConfirmationInput.self)
            let enrolment = try await twoStep.begin(
                for: caller.account,
                signedInAt: caller.signedInAt,
                password: input?.password,
                clientAddress: context.clientAddress
            )
            return try Response.json(EnrolmentBody(enrolment), headers: [.cacheControl: "no-store"])
        }
        router.post("v1/mfa/totp/confirm") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeJSON(as: CodeInput.self)
            let codes = try await twoStep.confirm(for: caller.account, code: input.code, keepingSession: caller.sessionID)
            return try Response.json(RecoveryCodesBody(recoveryCodes: codes), headers: [.cacheControl: "no-store"])
        }
        router.post("v1/mfa/recovery-codes") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeOptionalJSON(as: PasswordConfirmationInput.self)
            let codes = try await twoStep.newRecoveryCodes(
                for: caller.account,
                keepingSession: caller.sessionID,
                signedInAt: caller.signedInAt,
                password: input?.password,
                clientAddress: context.clientAddress
            )
            return try Response.json(RecoveryCodesBody(recoveryCodes: codes), headers: [.cacheControl: "no-store"])
        }
        router.delete("v1/mfa/totp") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeJSON(as: PasswordInput.self)
            try await twoStep.turnOff(
                for: caller.account,
                password: input.password,
                keepingSession: caller.sessionID,
                clientAddress: context.clientAddress
            )
            return Response(status: .noContent)
        }
    }

    struct StatusBody: Encodable {
        let totp: Bool
        let totpPending: Bool
        let recoveryCodesLeft: Int

        init(_ status: TwoStepVerification.Status) {
            totp = status.isOn
            totpPending = status.isPending
            recoveryCodesLeft = status.recoveryCodesLeft
        }

        enum CodingKeys: String, CodingKey {
            case totp
            case totpPending = "totp_pending"
            case recoveryCodesLeft = "recovery_codes_left"
        }
    }

    struct EnrolmentBody: Encodable {
        let secret: String
        let otpauthURI: String

        init(_ enrolment: TwoStepVerification.Enrolment) {
            secret = enrolment.secret
            otpauthURI = enrolment.provisioningURI
        }

        enum CodingKeys: String, CodingKey {
            case secret
            case otpauthURI = "otpauth_uri"
        }
    }

    struct RecoveryCodesBody: Encodable {
        let recoveryCodes: [String]

        enum CodingKeys: String, CodingKey {
            case recoveryCodes = "recovery_codes"
        }
    }

    struct CodeInput: Decodable {
        let code: String
    }

    struct PasswordInput: Decodable {
        let password: String
    }

    /// The password, needed when the caller's sign-in is older than ``TwoStepVerification/recentSignIn``.
    struct PasswordConfirmationInput: Decodable {
        let password: String?
    }
}
