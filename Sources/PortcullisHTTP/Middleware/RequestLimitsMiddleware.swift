import HTTPTypes
public import Hummingbird

/// Refuses oversized requests before anything parses them (README, "How it is built"): a declared body over
/// 64 KiB with 413 (undeclared bodies are cut off at the same size while being read), and a
/// `Cookie` or `Authorization` header over 8 KiB with 431.
public struct RequestLimitsMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The largest body accepted.
    public let maximumBodyBytes: Int
    /// The largest `Cookie` or `Authorization` header accepted (all lines of it together).
    public let maximumCredentialHeaderBytes: Int

    /// Creates the middleware with the contract's limits.
    public init(
        maximumBodyBytes: Int = RequestLimits.maximumBodyBytes,
        maximumCredentialHeaderBytes: Int = RequestLimits.maximumCredentialHeaderBytes
    ) {
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

/// The limits Portcullis holds requests to, whatever the request context's `maxUploadSize`.
public enum RequestLimits {
    /// The largest body any Portcullis route reads: 64 KiB.
    public static let maximumBodyBytes = 64 * 1024
    /// The largest `Cookie` or `Authorization` header: 8 KiB.
    public static let maximumCredentialHeaderBytes = 8 * 1024
}
