public import Hummingbird
import PortcullisVerifier

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Lets a request through only with a verified identity holding every required role, and, for
/// sensitive route groups, proven with a second factor or recently (step-up).
///
/// Without an identity the answer is 401 with a bare `WWW-Authenticate: Bearer` challenge; with an
/// identity lacking a role, 403 with `error="insufficient_scope"` (RFC 6750 §3.1); with a sign-in
/// too weak or too old, 401 with `error="insufficient_user_authentication"` and, for an age limit,
/// `max_age` (RFC 9470): the client signs the person in again and retries. Put it after
/// ``BearerAuthenticator``, on the routes or groups it guards.
public struct RequireIdentity<Context: VerifiedIdentityRequestContext>: RouterMiddleware {
    /// The roles an identity must hold, all of them.
    public let roles: Set<String>
    /// Whether the sign-in must have proven a second factor (`amr` holds `mfa`).
    public let secondFactor: Bool
    /// How long ago the sign-in (`auth_time`) may have happened, if there is a limit.
    public let maximumAuthenticationAge: Duration?
    private let realm: String?

    /// Creates the policy.
    /// - Parameters:
    ///   - roles: roles the identity must hold (none: any verified identity passes).
    ///   - secondFactor: require a sign-in proven with a second factor.
    ///   - maximumAuthenticationAge: require a sign-in at most this long ago (a token without
    ///     `auth_time` does not pass).
    ///   - realm: the `realm` of the challenges sent, if any.
    public init(roles: Set<String> = [], secondFactor: Bool = false, maximumAuthenticationAge: Duration? = nil, realm: String? = nil) {
        self.roles = roles
        self.secondFactor = secondFactor
        self.maximumAuthenticationAge = maximumAuthenticationAge
        self.realm = realm
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let identity = context.identity else { return BearerChallenge.missing.response(realm: realm) }
        guard roles.isSubset(of: identity.roles) else { return BearerChallenge.insufficientRole.response(realm: realm) }
        guard !secondFactor || identity.hasSecondFactor else {
            return BearerChallenge.insufficientAuthentication(maximumAge: nil).response(realm: realm)
        }
        if let maximumAuthenticationAge {
            let seconds = maximumAuthenticationAge.components.seconds
            guard let signedIn = identity.authenticatedAt, Date().timeIntervalSince(signedIn) <= Double(seconds) else {
                return BearerChallenge.insufficientAuthentication(maximumAge: seconds).response(realm: realm)
            }
        }
        return try await next(request, context)
    }
}
