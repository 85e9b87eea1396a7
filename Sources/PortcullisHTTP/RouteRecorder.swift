public import Hummingbird
import Synchronization

/// A stand-in router that notes each route registered on it instead of serving it.
///
/// `portcullis routes` prints what it records, and the test of the OpenAPI description
/// (`docs/openapi.yaml`) compares the two, so the description cannot miss a route or keep one the
/// server no longer answers. Middleware added to it is ignored.
public final class RouteRecorder: RouterMethods, Sendable {
    public typealias Context = PortcullisRequestContext

    /// One route: a method and a path in Hummingbird's syntax (`/v1/sessions/{id}`), which is
    /// also OpenAPI's.
    public struct Route: Hashable, Sendable, CustomStringConvertible {
        public let method: HTTPRequest.Method
        public let path: String
        public var description: String { "\(method.rawValue) \(path)" }
    }

    private let recorded = Mutex<[Route]>([])

    /// An empty recorder.
    public init() {}

    /// The routes in the order they were registered.
    public var routes: [Route] { recorded.withLock { $0 } }

    @discardableResult public func on<Responder: HTTPResponder>(
        _ path: RouterPath,
        method: HTTPRequest.Method,
        responder: Responder
    ) -> Self where Responder.Context == Context {
        recorded.withLock { $0.append(Route(method: method, path: path.description)) }
        return self
    }

    @discardableResult public func add(middleware: any MiddlewareProtocol<Request, Response, Context>) -> Self {
        self
    }
}
