public import Hummingbird

/// Sets ``PortcullisAuthRequestContext/clientAddress`` from the socket peer and trusted proxies.
public struct ClientAddressMiddleware<Context: PortcullisAuthRequestContext>: RouterMiddleware {
    private let resolver: ClientAddressResolver

    /// Creates the middleware.
    public init(resolver: ClientAddressResolver) {
        self.resolver = resolver
    }

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        context.clientAddress = resolver.resolve(peer: context.remoteAddress?.ipAddress, headers: request.headers)
        return try await next(request, context)
    }
}
