import HTTPTypes
public import Hummingbird

/// Headers every answer carries: nothing authentication-related is cached, sniffed or framed,
/// and, when the server is reached over HTTPS, browsers are told never to use plain HTTP for it.
public struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    private let strictTransportSecurity: Bool

    /// Creates the middleware; `strictTransportSecurity` adds `Strict-Transport-Security` (a year)
    /// to every answer, for a server whose public URL is `https://`.
    public init(strictTransportSecurity: Bool = false) {
        self.strictTransportSecurity = strictTransportSecurity
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if response.headers[.cacheControl] == nil { response.headers[.cacheControl] = "no-store" }
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "no-referrer"
        response.headers[.frameOptions] = "DENY"
        if strictTransportSecurity { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}
