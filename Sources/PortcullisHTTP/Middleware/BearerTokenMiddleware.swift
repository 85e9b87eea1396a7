import HTTPTypes
public import Hummingbird
import Logging
public import PortcullisCore
import PortcullisTokens

/// Authenticates `Authorization: Bearer` requests with an access token for Portcullis's own
/// audience. A bearer token that fails any check is refused with 401 and
/// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1), whatever the route.
public struct BearerTokenMiddleware<Context: PortcullisAuthRequestContext>: RouterMiddleware {
    private let tokens: TokenService

    /// Creates the middleware.
    public init(tokens: TokenService) {
        self.tokens = tokens
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer " else {
            return try await next(request, context)
        }
        let token = String(header.dropFirst(7)).trimmingSpaces
        var context = context
        do {
            let (claims, account) = try await tokens.authenticate(bearer: token)
            context.bearer = BearerIdentity(claims: claims, account: account)
            context.logger[metadataKey: "portcullis.token_id"] = "\(claims.tokenID)"
        } catch let rejection as TokenRejection {
            context.logger.info("bearer token refused", metadata: ["portcullis.reason": "\(rejection)"])
            throw Problem.invalidToken
        }
        return try await next(request, context)
    }
}
