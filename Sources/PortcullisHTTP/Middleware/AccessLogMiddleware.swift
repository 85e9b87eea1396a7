import HTTPTypes
public import Hummingbird
import Logging

/// One structured log line per request: method, path (never the query string), status and
/// duration. Headers and bodies, which carry cookies and passwords, are never logged.
public struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let response = try await next(request, context)
        let elapsed = ContinuousClock.now - start
        context.logger.info(
            "request",
            metadata: [
                "http.method": "\(request.method.rawValue)",
                "http.path": "\(request.uri.path)",
                "http.status": "\(response.status.code)",
                "http.duration_ms": "\((elapsed / .microseconds(1)).rounded() / 1000)",
            ]
        )
        return response
    }
}
