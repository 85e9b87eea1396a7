public import Hummingbird
import Logging
public import PortcullisCore

/// Authenticates the request by its session cookie, if it has exactly one valid one, and records
/// the result in ``PortcullisAuthRequestContext/session``. A request without a valid cookie carries
/// on unauthenticated: each route decides whether it needs a session.
public struct SessionCookieMiddleware<Context: PortcullisAuthRequestContext>: RouterMiddleware {
    private let sessions: SessionManager

    /// Creates the middleware.
    public init(sessions: SessionManager) {
        self.sessions = sessions
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let secret = SessionCookie.secret(in: request.headers) else { return try await next(request, context) }
        var context = context
        if let validated = try await sessions.validate(secret) {
            context.session = AuthenticatedSession(validated: validated, secret: secret, passesCSRFCheck: request.method.isSafe)
            context.logger[metadataKey: "portcullis.session_id"] = "\(validated.session.id)"
        }
        return try await next(request, context)
    }
}
