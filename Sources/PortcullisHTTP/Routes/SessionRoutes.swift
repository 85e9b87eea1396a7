import HTTPTypes
public import Hummingbird
import Logging
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Login, the current session, logout, the session list and "sign out everywhere"
/// and `/v1/me`.
struct SessionRoutes {
    let services: PortcullisServices
    var sessions: SessionManager { services.sessions }
    private let signIn: BrowserSignIn

    init(services: PortcullisServices) {
        self.services = services
        self.signIn = BrowserSignIn(services: services)
    }

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/sessions", use: self.logIn)
        router.post("v1/sessions/mfa", use: self.completeSecondFactor)
        router.get("v1/session") { _, context in
            try Response.json(SessionEnvelope(try context.requireSession()))
        }
        router.delete("v1/session") { _, context in
            let current = try context.requireSession()
            _ = try await sessions.end(sessionID: current.session.id)
            return Self.signedOut()
        }
        router.get("v1/sessions") { _, context in
            let caller = try context.requireCaller()
            let list = try await sessions.activeSessions(accountID: caller.account.id)
            return try Response.json(SessionList(sessions: list.map { SessionBody($0, currentID: caller.sessionID) }))
        }
        router.delete("v1/sessions/{id}") { _, context in
            let caller = try context.requireCaller()
            let id = try context.parameters.require("id")
            guard try await sessions.end(sessionID: id, accountID: caller.account.id) else {
                throw Problem(.notFound, detail: "You have no session with this id.")
            }
            return caller.isCookie && id == caller.sessionID ? Self.signedOut() : Response(status: .noContent)
        }
        router.delete("v1/sessions") { _, context in
            let caller = try context.requireCaller()
            try await services.accounts.signOutEverywhere(accountID: caller.account.id)
            return caller.isCookie ? Self.signedOut() : Response(status: .noContent)
        }
        router.get("v1/me") { request, context in
            Response.json(Me(try context.requireCaller()).json)
        }
    }

    @Sendable func logIn<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let input = try await request.decodeJSON(as: Credentials.self)
        let outcome = try await signIn.signIn(
            email: input.email,
            password: input.password,
            remember: input.remember ?? false,
            request: request,
            context: context
        )
        switch outcome {
        case .signedIn(let signedIn):
            return try Response.json(SessionEnvelope(signedIn.authenticated), status: .created, headers: [.setCookie: signedIn.setCookie])
        case .secondFactorRequired(let challenge):
            return try Response.json(SecondFactorRequired(challenge), headers: [.cacheControl: "no-store"])
        }
    }

    @Sendable func completeSecondFactor<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        let input = try await request.decodeJSON(as: SecondFactorAnswer.self)
        let signedIn = try await signIn.completeSecondFactor(token: input.mfaToken, code: input.code, request: request, context: context)
        return try Response.json(SessionEnvelope(signedIn.authenticated), status: .created, headers: [.setCookie: signedIn.setCookie])
    }

    /// 204 that clears the cookie and everything the browser cached (docs/security.md#sessions-and-cookies).
    static func signedOut() -> Response {
        Response(status: .noContent, headers: signedOutHeaders)
    }

    /// The headers of every answer that ends the request's own session: the cookie cleared,
    /// nothing cached, and the browser told to drop the site's cookies.
    static let signedOutHeaders: HTTPFields = [
        .setCookie: SessionCookie.clearing,
        .cacheControl: "no-store",
        .clearSiteData: "\"cookies\"",
    ]

    struct Credentials: Decodable {
        let email: String
        let password: String
        let remember: Bool?
    }

    /// `200 {mfa_required, mfa_token, methods}`: the password was right, a second factor is owed.
    struct SecondFactorRequired: Encodable {
        let mfaRequired = true
        let mfaToken: String
        let methods: [String]

        init(_ challenge: SecondFactorSignIn.Challenge) {
            mfaToken = challenge.token
            methods = challenge.methods
        }

        enum CodingKeys: String, CodingKey {
            case mfaRequired = "mfa_required"
            case mfaToken = "mfa_token"
            case methods
        }
    }

    struct SecondFactorAnswer: Decodable {
        let mfaToken: String
        let code: String

        enum CodingKeys: String, CodingKey {
            case mfaToken = "mfa_token"
            case code
        }
    }

    struct SessionList: Encodable {
        let sessions: [SessionBody]
    }

    struct Me: Encodable {
        let id: String
        let email: String
        let emailVerified: Bool
        let roles: [String]
        let auth: Auth

        enum CodingKeys: String, CodingKey {
            case id, email, roles, auth
            case emailVerified = "email_verified"
        }

        init(_ caller: Caller) {
            id = caller.account.id
            email = caller.account.email
            emailVerified = caller.account.isEmailVerified
            roles = caller.account.roles
            switch caller {
            case .session(let current):
                auth = Auth(
                    method: "session",
                    sessionID: current.session.id,
                    expiresAt: current.session.expiresAt.epochSeconds,
                    methods: current.session.authMethods.map(\.rawValue),
                    time: current.session.createdAt.epochSeconds
                )
            case .bearer(let bearer):
                auth = Auth(
                    method: "bearer",
                    sessionID: bearer.claims.sessionID,
                    expiresAt: bearer.claims.expiresAt,
                    methods: bearer.claims.authMethods,
                    time: bearer.claims.authTime
                )
            }
        }

        /// The answer as `JSONEncoder.portcullis` would write it (keys sorted), built by hand:
        /// this is the hottest route, and the encoder's generic machinery was a tenth of it.
        var json: JSONText {
            var text = JSONText()
            text.beginObject()
            text.key("auth")
            text.beginObject()
            text.key("amr")
            text.strings(auth.methods)
            if let time = auth.time {
                text.key("auth_time")
                text.integer(time)
            }
            text.key("expires_at")
            text.integer(auth.expiresAt)
            text.member("method", auth.method)
            text.member("session_id", auth.sessionID)
            text.endObject()
            text.member("email", email)
            text.key("email_verified")
            text.bool(emailVerified)
            text.member("id", id)
            text.key("roles")
            text.strings(roles)
            text.endObject()
            return text
        }

        struct Auth: Encodable {
            let method: String
            let sessionID: String
            let expiresAt: Int64
            /// `amr`: how the sign-in was proven.
            let methods: [String]
            /// `auth_time`: when (absent for a token issued before it was recorded).
            let time: Int64?

            enum CodingKeys: String, CodingKey {
                case method
                case sessionID = "session_id"
                case expiresAt = "expires_at"
                case methods = "amr"
                case time = "auth_time"
            }
        }
    }
}
