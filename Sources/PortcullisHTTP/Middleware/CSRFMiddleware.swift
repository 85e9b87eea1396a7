public import Hummingbird
import PortcullisCore

/// Matches the session's CSRF token on the unsafe requests of the routes behind it
/// (docs/security.md#csrf).
///
/// The token comes from the `X-CSRF-Token` header or, for form posts, the `csrf_token` field (the
/// body is read here, at most 64 KiB, and handed on already read). A request that matches it may
/// act for its session; one that does not is refused by ``PortcullisAuthRequestContext/requireSession()``
/// and ``PortcullisAuthRequestContext/requireCaller()`` with 403, so a handler that reads the session
/// through them, in a group without this middleware, refuses every unsafe request. (Reading
/// `context.session` directly skips that check: don't, in a handler that changes anything.)
/// Requests without a session, and safe requests, pass untouched.
public struct CSRFMiddleware<Context: PortcullisAuthRequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard var current = context.session, !current.passesCSRFCheck else { return try await next(request, context) }
        var request = request
        guard let token = try await Self.token(in: &request), current.secret.acceptsCSRFToken(token) else {
            return try await next(request, context)
        }
        current.passesCSRFCheck = true
        var context = context
        context.session = current
        return try await next(request, context)
    }

    /// The token the request carries, if any.
    static func token(in request: inout Request) async throws -> String? {
        if let header = request.headers[.csrfToken] { return header }
        guard Request.mediaType(of: request.headers) == "application/x-www-form-urlencoded" else { return nil }
        let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
        return (try? FormParameters.parse(String(buffer: body)))?["csrf_token"]
    }
}
