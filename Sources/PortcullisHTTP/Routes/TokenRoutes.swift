import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisTokens

/// The token endpoint and its companions: `POST /v1/token`,
/// `POST /v1/token/revoke`, the JWKS and the RFC 8414 metadata.
struct TokenRoutes {
    let services: PortcullisServices
    var tokens: TokenService { services.tokens }

    static let sessionTokenType = "urn:portcullis:session"
    static let tokenExchange = "urn:ietf:params:oauth:grant-type:token-exchange"
    /// Completes a password grant that answered `mfa_required`.
    static let secondFactorGrant = "urn:portcullis:grant-type:mfa-otp"

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/token", use: self.token)
        router.post("v1/token/revoke") { request, context in
            var request = request
            _ = try await ServiceClientRoutes.optionalClient(request, services: services)
            let form = try await Self.parameters(&request, context: context)
            guard let token = form["token"], !token.isEmpty else { throw OAuthError.invalidRequest("The token parameter is required.") }
            try await tokens.revoke(token)
            return Response(status: .ok, headers: [.cacheControl: "no-store"])
        }
        router.get(".well-known/jwks.json") { _, _ in
            let keys = try await tokens.keyRing.publishedKeys().compactMap { try $0.publicJWK }
            return try Response.json(["keys": keys], headers: [.cacheControl: "public, max-age=60"])
        }
        router.get(".well-known/oauth-authorization-server") { _, _ in
            let issuer = tokens.policy.issuer
            return try Response.json(
                Metadata(
                    issuer: issuer,
                    tokenEndpoint: "\(issuer)/v1/token",
                    revocationEndpoint: "\(issuer)/v1/token/revoke",
                    introspectionEndpoint: "\(issuer)/v1/token/introspect",
                    jwksURI: "\(issuer)/.well-known/jwks.json",
                    grantTypesSupported: ["password", "refresh_token", Self.tokenExchange, Self.secondFactorGrant],
                    tokenEndpointAuthMethodsSupported: ["none"],
                    revocationEndpointAuthMethodsSupported: ["none", "client_secret_basic"],
                    introspectionEndpointAuthMethodsSupported: ["client_secret_basic"]
                ),
                headers: [.cacheControl: "public, max-age=300"]
            )
        }
    }

    @Sendable func token<Context: PortcullisAuthRequestContext>(_ request: Request, context: Context) async throws -> Response {
        var request = request
        let form = try await Self.parameters(&request, context: context)
        let audience = form["audience"]
        if let audience, !tokens.policy.audiences.contains(audience) {
            throw OAuthError("invalid_target", "The requested audience is not one this server issues tokens for.")
        }
        do {
            let issued: TokenService.Issued
            switch form["grant_type"] {
            case "password":
                guard let username = form["username"], let password = form["password"] else {
                    throw OAuthError.invalidRequest("The password grant needs username and password.")
                }
                let proof = try await services.login.authenticate(email: username, password: password, clientAddress: context.clientAddress)
                if let challenge = try await services.secondFactor.challenge(after: proof, staySignedIn: false) {
                    throw OAuthError.secondFactorRequired(challenge)
                }
                issued = try await tokens.issue(
                    for: proof.account,
                    audience: audience,
                    passwordHash: proof.passwordHash,
                    alongside: [.requireNoSecondFactor(accountID: proof.account.id)]
                )
            case Self.secondFactorGrant:
                guard let challenge = form["mfa_token"], let code = form["otp"] else {
                    throw OAuthError.invalidRequest("The mfa-otp grant needs mfa_token and otp.")
                }
                issued = try await services.secondFactor.complete(token: challenge, code: code, clientAddress: context.clientAddress) { completion in
                    try await tokens.issue(
                        for: completion.account,
                        audience: audience,
                        passwordHash: completion.passwordHash,
                        authMethods: completion.methods,
                        alongside: completion.writes
                    )
                }
            case "refresh_token":
                guard let refreshToken = form["refresh_token"] else { throw OAuthError.invalidRequest("The refresh_token parameter is required.") }
                issued = try await tokens.refresh(refreshToken, audience: audience)
            case Self.tokenExchange:
                guard form["subject_token_type"] == Self.sessionTokenType else {
                    throw OAuthError.invalidRequest("subject_token_type must be \(Self.sessionTokenType).")
                }
                guard context.session != nil else { throw OAuthError.invalidGrant }
                let current = try context.requireSession()
                issued = try await tokens.exchange(session: current.session, account: current.account, audience: audience)
            case nil:
                throw OAuthError.invalidRequest("The grant_type parameter is required.")
            default:
                throw OAuthError.unsupportedGrantType
            }
            return try Response.json(
                TokenResponse(accessToken: issued.accessToken, tokenType: "Bearer", expiresIn: issued.expiresIn, refreshToken: issued.refreshToken),
                headers: [.cacheControl: "no-store", .pragma: "no-cache"]
            )
        } catch let error as PortcullisError {
            switch error.kind {
            case .invalidCredentials, .invalidGrant: throw OAuthError("invalid_grant", error.reason)
            case .throttled, .busy, .storeUnavailable, .emailNotVerified: throw error
            default: throw OAuthError.invalidRequest(error.reason)
            }
        }
    }

    /// The request's parameters, from a form body (RFC 6749) or a JSON object of strings and booleans.
    static func parameters<Context: PortcullisAuthRequestContext>(_ request: inout Request, context: Context) async throws -> [String: String] {
        let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
        let mediaType = Request.mediaType(of: request.headers)
        if mediaType == "application/json" {
            guard let object = try? JSONSerialization.jsonObject(with: Data(buffer: body)) as? [String: Any] else {
                throw OAuthError.invalidRequest("The body must be a JSON object.")
            }
            return object.compactMapValues { value in (value as? String) ?? (value as? Bool).map { $0 ? "true" : "false" } }
        }
        guard mediaType == "application/x-www-form-urlencoded" else {
            throw OAuthError.invalidRequest("Send application/x-www-form-urlencoded or application/json.")
        }
        do {
            return try FormParameters.parse(String(buffer: body))
        } catch .malformed {
            throw OAuthError.invalidRequest("The form body is malformed.")
        } catch .repeated {
            throw OAuthError.invalidRequest("Parameters may not repeat (RFC 6749 §3.2).")
        }
    }

    struct TokenResponse: Encodable {
        let accessToken: String
        let tokenType: String
        let expiresIn: Int
        let refreshToken: String?

        enum CodingKeys: String, CodingKey {
            case accessToken = "access_token"
            case tokenType = "token_type"
            case expiresIn = "expires_in"
            case refreshToken = "refresh_token"
        }
    }

    struct Metadata: Encodable {
        let issuer: String
        let tokenEndpoint: String
        let revocationEndpoint: String
        let introspectionEndpoint: String
        let jwksURI: String
        let grantTypesSupported: [String]
        /// No authorization endpoint (yet): RFC 8414 requires the member, so it is empty.
        let responseTypesSupported: [String] = []
        /// The token endpoint serves first-party public clients: it reads no client credentials.
        let tokenEndpointAuthMethodsSupported: [String]
        let revocationEndpointAuthMethodsSupported: [String]
        /// Introspection answers registered service clients only.
        let introspectionEndpointAuthMethodsSupported: [String]

        enum CodingKeys: String, CodingKey {
            case issuer
            case tokenEndpoint = "token_endpoint"
            case revocationEndpoint = "revocation_endpoint"
            case introspectionEndpoint = "introspection_endpoint"
            case jwksURI = "jwks_uri"
            case grantTypesSupported = "grant_types_supported"
            case responseTypesSupported = "response_types_supported"
            case tokenEndpointAuthMethodsSupported = "token_endpoint_auth_methods_supported"
            case revocationEndpointAuthMethodsSupported = "revocation_endpoint_auth_methods_supported"
            case introspectionEndpointAuthMethodsSupported = "introspection_endpoint_auth_methods_supported"
        }
    }
}
