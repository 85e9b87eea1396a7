public import Hummingbird
import Logging
public import PortcullisVerifier

/// Verifies the `Authorization: Bearer` token of each request with a `PortcullisVerifier` and
/// puts the identity on the context.
///
/// A request without a bearer token passes through with no identity (add ``RequireIdentity`` to
/// routes that need one); a request whose token is refused is answered 401 with
/// `WWW-Authenticate: Bearer error="invalid_token"` (RFC 6750 §3.1) and goes no further.
public struct BearerAuthenticator<Context: VerifiedIdentityRequestContext>: RouterMiddleware {
    private let verifier: PortcullisVerifier
    private let realm: String?

    /// Creates the middleware.
    /// - Parameters:
    ///   - verifier: the verifier, running as a service of the application.
    ///   - realm: the `realm` of the challenges sent, if any.
    public init(verifier: PortcullisVerifier, realm: String? = nil) {
        self.verifier = verifier
        self.realm = realm
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let header = request.headers[.authorization] else { return try await next(request, context) }
        guard header.count > 7, header.prefix(7).lowercased() == "bearer " else { return try await next(request, context) }
        let token = header.dropFirst(7).trimmingPrefix(while: { $0 == " " })
        let identity: VerifiedIdentity
        do {
            identity = try await verifier.verify(String(token))
        } catch {
            context.logger.debug("bearer token refused", metadata: ["reason": "\(error)"])
            return BearerChallenge.invalidToken.response(realm: realm)
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}
