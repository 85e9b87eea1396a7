public import HTTPTypes
public import Hummingbird

/// The browser half of CSRF protection (README, "How it is built"): an unsafe request is refused with 403
/// when the browser says it is cross-site (`Sec-Fetch-Site: cross-site` or `same-site`) or,
/// without that header, when its `Origin` is not the server's own. Requests with neither header
/// come from non-browser clients and pass; the session's CSRF token still guards them.
public struct FetchMetadataMiddleware<Context: RequestContext>: RouterMiddleware {
    private let allowedOrigin: String

    /// Creates the middleware; `publicOrigin` is `scheme://host[:port]`.
    public init(publicOrigin: String) {
        self.allowedOrigin = Origin.normalize(publicOrigin) ?? publicOrigin
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if !request.method.isSafe {
            if let site = request.headers[.secFetchSite]?.lowercased() {
                if site == "cross-site" || site == "same-site" { throw Problem.crossSiteRequest }
            } else if let origin = request.headers[values: .origin].first {
                guard request.headers[values: .origin].count == 1, Origin.normalize(origin) == allowedOrigin else {
                    throw Problem.crossSiteRequest
                }
            }
        }
        return try await next(request, context)
    }
}

extension HTTPRequest.Method {
    /// GET, HEAD, OPTIONS and TRACE never change state.
    var isSafe: Bool { self == .get || self == .head || self == .options || self == .trace }
}
