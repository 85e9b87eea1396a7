import Hummingbird
import NIOCore
import PortcullisHTTP

/// The monolith's own request context: what Portcullis needs (the client address, the session,
/// the bearer token) beside the application's own per-request state.
struct MonolithContext: PortcullisAuthRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    var clientAddress: String?
    var session: AuthenticatedSession?
    var bearer: BearerIdentity?
    /// The notes page's sort order, set by ``NoteOrderMiddleware`` from a cookie of the application's own.
    var newestFirst = false

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The application's own middleware, on its own context: reads the `notes_order` cookie.
struct NoteOrderMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: MonolithContext, next: (Request, MonolithContext) async throws -> Response) async throws -> Response {
        var context = context
        context.newestFirst = request.cookies["notes_order"]?.value == "newest"
        return try await next(request, context)
    }
}
