public import Hummingbird
import PortcullisVerifier

/// Lets a request through only with a verified identity holding every required role.
///
/// Without an identity the answer is 401 with a bare `WWW-Authenticate: Bearer` challenge; with an
/// identity lacking a role, 403 with `error="insufficient_scope"` (RFC 6750 §3.1). Put it after
/// ``BearerAuthenticator``, on the routes or groups it guards.
public struct RequireIdentity<Context: VerifiedIdentityRequestContext>: RouterMiddleware {
    /// The roles an identity must hold, all of them.
    public let roles: Set<String>
    private let realm: String?

    /// Creates the policy.
    /// - Parameters:
    ///   - roles: roles the identity must hold (none: any verified identity passes).
    ///   - realm: the `realm` of the challenges sent, if any.
    public init(roles: Set<String> = [], realm: String? = nil) {
        self.roles = roles
        self.realm = realm
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else { return BearerChallenge.missing.response(realm: realm) }
        guard roles.isSubset(of: identity.roles) else { return BearerChallenge.insufficientRole.response(realm: realm) }
        return try await next(request, context)
    }
}
