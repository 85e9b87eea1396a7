public import Hummingbird
import HTTPTypes

/// Refuses oversized requests before anything parses them (README, "How it is built"): a declared body over
/// 64 KiB with 413 (undeclared bodies are cut off at the same size while being read), and a
/// `Cookie` or `Authorization` header over 8 KiB with 431.
public struct RequestLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body accepted.
    public let maximumBodyBytes: Int
    /// The largest `Cookie` or `Authorization` header accepted (all lines of it together).
    public let maximumCredentialHeaderBytes: Int

    /// Creates the middleware with the contract's limits.
    public init(maximumBodyBytes: Int = 64 * 1024, maximumCredentialHeaderBytes: Int = 8 * 1024) {
        self.maximumBodyBytes = maximumBodyBytes
        self.maximumCredentialHeaderBytes = maximumCredentialHeaderBytes
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > maximumBodyBytes {
            throw Problem(.contentTooLarge, detail: "The request body is larger than \(maximumBodyBytes / 1024) KiB.")
        }
        for name: HTTPField.Name in [.cookie, .authorization] {
            let size = request.headers[values: name].reduce(0) { $0 + $1.utf8.count }
            if size > maximumCredentialHeaderBytes {
                throw Problem(
                    .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
                    detail: "The \(name) header is larger than \(maximumCredentialHeaderBytes / 1024) KiB."
                )
            }
        }
        return try await next(request, context)
    }
}
