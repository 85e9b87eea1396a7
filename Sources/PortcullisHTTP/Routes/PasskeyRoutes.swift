import Hummingbird
import PortcullisCore
import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Passkeys over the API, in the WebAuthn JSON serialisation: the options a browser passes to
/// `navigator.credentials.create()` or `.get()`, and its answers.
///
/// Registration and the list, rename and removal need a signed-in caller; adding and removing
/// take the password too (an optional JSON body) when the caller's sign-in is not recent, and
/// end the account's other sessions and refresh families. Sign-in needs nothing: a passkey is a
/// complete sign-in, or the second step of a password sign-in given its `mfa_token`.
struct PasskeyRoutes {
    let services: PortcullisServices
    private let signIn: BrowserSignIn

    init(services: PortcullisServices) {
        self.services = services
        self.signIn = BrowserSignIn(services: services)
    }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/webauthn/register/options") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeOptionalJSON(as: PasswordConfirmationInput.self)
            let options = try await services.passkeys.registrationOptions(
                for: caller.account,
                session: caller.sessionID,
                signedInAt: Self.recentProof(of: caller),
                password: input?.password,
                clientAddress: context.clientAddress
            )
            return try Response.json(CreationOptionsBody(options), headers: [.cacheControl: "no-store"])
        }
        router.post("v1/webauthn/register") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeJSON(as: RegistrationInput.self)
            let passkey = try await services.passkeys.register(input.credential, name: input.name, for: caller.account, session: caller.sessionID)
            return try Response.json(PasskeyBody(passkey), status: .created)
        }
        router.get("v1/webauthn/credentials") { _, context in
            let passkeys = try await services.passkeys.list(for: try context.requireCaller().account)
            return try Response.json(PasskeyList(credentials: passkeys.map(PasskeyBody.init)))
        }
        router.patch("v1/webauthn/credentials/{id}") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeJSON(as: RenameInput.self)
            let passkey = try await services.passkeys.rename(try context.parameters.require("id"), to: input.name, for: caller.account)
            return try Response.json(PasskeyBody(passkey))
        }
        router.delete("v1/webauthn/credentials/{id}") { request, context in
            let caller = try context.requireCaller()
            let input = try await request.decodeOptionalJSON(as: PasswordConfirmationInput.self)
            try await services.passkeys.remove(
                try context.parameters.require("id"),
                for: caller.account,
                keepingSession: caller.sessionID,
                signedInAt: Self.recentProof(of: caller),
                password: input?.password,
                clientAddress: context.clientAddress
            )
            return Response(status: .noContent)
        }
        router.post("v1/webauthn/login/options") { request, context in
            let input = try await request.decodeOptionalJSON(as: SignInOptionsInput.self)
            let options = try await services.passkeySignIn.options(mfaToken: input?.mfaToken)
            return try Response.json(RequestOptionsBody(options), headers: [.cacheControl: "no-store"])
        }
        router.post("v1/webauthn/login") { request, context in
            let input = try await request.decodeJSON(as: SignInInput.self)
            let signedIn = try await signIn.signInWithPasskey(
                input.credential,
                mfaToken: input.mfaToken,
                remember: input.remember ?? false,
                request: request,
                context: context
            )
            return try Response.json(SessionEnvelope(signedIn.authenticated), status: .created, headers: [.setCookie: signedIn.setCookie])
        }
    }

    /// When the caller signed in, if that may stand in for the password: a browser session's start.
    /// A token caller always gives the password, because a passkey added with only a token (any
    /// program can play the authenticator) would be a sign-in of its own that outlives the token.
    static func recentProof(of caller: Caller) -> Date? {
        caller.isCookie ? caller.signedInAt : nil
    }

    /// `PublicKeyCredentialCreationOptionsJSON`.
    struct CreationOptionsBody: Encodable {
        struct Party: Encodable {
            let id: String
            let name: String
        }
        struct User: Encodable {
            let id: String
            let name: String
            let displayName: String
        }
        struct Parameter: Encodable {
            let type = "public-key"
            let alg: Int64
        }
        struct Selection: Encodable {
            let residentKey = "required"
            let requireResidentKey = true
            let userVerification = "required"
        }

        let rp: Party
        let user: User
        let challenge: String
        let pubKeyCredParams: [Parameter]
        let timeout: Int64
        let excludeCredentials: [CredentialDescriptor]
        let authenticatorSelection = Selection()
        let attestation = "none"

        init(_ options: PasskeyService.CreationOptions) {
            rp = Party(id: options.relyingParty.id, name: options.relyingParty.name)
            user = User(id: Base64.encode(options.userID), name: options.userName, displayName: options.userName)
            challenge = Base64.encode(options.challenge)
            pubKeyCredParams = options.algorithms.map { Parameter(alg: $0) }
            timeout = options.timeout.components.seconds * 1000
            excludeCredentials = options.excluded.map(CredentialDescriptor.init)
        }
    }

    /// `PublicKeyCredentialRequestOptionsJSON`.
    struct RequestOptionsBody: Encodable {
        let challenge: String
        let timeout: Int64
        let rpId: String
        let allowCredentials: [CredentialDescriptor]
        let userVerification = "required"

        init(_ options: PasskeySignIn.RequestOptions) {
            challenge = Base64.encode(options.challenge)
            timeout = options.timeout.components.seconds * 1000
            rpId = options.relyingParty.id
            allowCredentials = options.allowed.map(CredentialDescriptor.init)
        }
    }

    /// `PublicKeyCredentialDescriptorJSON`.
    struct CredentialDescriptor: Encodable {
        let type = "public-key"
        let id: String
        let transports: [String]

        init(_ passkey: Passkey) {
            id = passkey.id
            transports = passkey.transports
        }
    }

    struct PasskeyBody: Encodable {
        let id: String
        let name: String
        let createdAt: Int64
        let lastUsedAt: Int64?
        let backupEligible: Bool
        let transports: [String]

        init(_ passkey: Passkey) {
            id = passkey.id
            name = passkey.name
            createdAt = passkey.createdAt.epochSeconds
            lastUsedAt = passkey.lastUsedAt?.epochSeconds
            backupEligible = passkey.isBackupEligible
            transports = passkey.transports
        }

        enum CodingKeys: String, CodingKey {
            case id, name, transports
            case createdAt = "created_at"
            case lastUsedAt = "last_used_at"
            case backupEligible = "backup_eligible"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(id, forKey: .id)
            try container.encode(name, forKey: .name)
            try container.encode(createdAt, forKey: .createdAt)
            try container.encode(lastUsedAt, forKey: .lastUsedAt)
            try container.encode(backupEligible, forKey: .backupEligible)
            try container.encode(transports, forKey: .transports)
        }
    }

    struct PasskeyList: Encodable {
        let credentials: [PasskeyBody]
    }

    struct RegistrationInput: Decodable {
        let credential: RegistrationResponse
        let name: String?
    }

    struct RenameInput: Decodable {
        let name: String
    }

    struct SignInOptionsInput: Decodable {
        let mfaToken: String?

        enum CodingKeys: String, CodingKey {
            case mfaToken = "mfa_token"
        }
    }

    struct SignInInput: Decodable {
        let credential: AssertionResponse
        let mfaToken: String?
        let remember: Bool?

        enum CodingKeys: String, CodingKey {
            case credential, remember
            case mfaToken = "mfa_token"
        }
    }

    /// The password, needed when the caller's sign-in is older than ``TwoStepVerification/recentSignIn``.
    struct PasswordConfirmationInput: Decodable {
        let password: String?
    }
}
