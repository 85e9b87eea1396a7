public import Hummingbird

/// Sets ``PortcullisRequestContext/clientAddress`` from the socket peer and trusted proxies.
public struct ClientAddressMiddleware: RouterMiddleware {
    public typealias Context = PortcullisRequestContext
    private let resolver: ClientAddressResolver

    /// Creates the middleware.
    public init(resolver: ClientAddressResolver) {
        self.resolver = resolver
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = resolver.resolve(peer: context.peerAddress, headers: request.headers)
        return try await next(request, context)
    }
}
