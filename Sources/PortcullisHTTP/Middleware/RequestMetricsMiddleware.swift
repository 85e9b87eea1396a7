import HTTPTypes
public import Hummingbird
import Metrics
import Synchronization

/// Request metrics through swift-metrics, under the names and labels of Hummingbird's own
/// `MetricsMiddleware`: `hb.requests` and `hb.request.errors` (counters),
/// `http.server.request.duration` (a timer) by route, method and status, and
/// `http.server.active_requests` (a meter) by method.
///
/// Hummingbird's middleware records once the body is written, which makes every body a closure
/// and costs each answer a second write to the socket: the head and the body go out separately.
/// This one leaves an answer of known length as it is (one write) and records when the handler
/// returns it, before it is sent; only a body of unknown length, a stream, is measured to its
/// end (and counted as active until then).
public struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    private let metrics = RequestMetrics()

    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        let active = metrics.activeRequests(method: request.method)
        active.increment()
        var response: Response
        do {
            response = try await next(request, context)
        } catch {
            let status = (error as? any HTTPResponseError)?.status ?? .internalServerError
            let route = metrics.route(endpoint: context.endpointPath ?? "NotFound", method: request.method, status: status)
            route.requests.increment()
            route.errors.increment()
            active.decrement()
            throw error
        }
        let route = metrics.route(endpoint: context.endpointPath ?? "Unknown", method: request.method, status: response.status)
        guard response.body.contentLength == nil else {
            route.record(since: start)
            active.decrement()
            return response
        }
        let body = response.body
        let recording = StreamRecording(route: route, active: active, start: start)
        response.body = ResponseBody { writer in
            defer { recording.finish() }
            try await body.write(writer)
        }
        return response
    }
}

/// A stream's request, recorded once: when its body has been written, or when the body is
/// dropped unwritten (the client left before the head went out).
private final class StreamRecording: Sendable {
    private let route: RequestMetrics.Route
    private let active: Meter
    private let start: ContinuousClock.Instant
    private let finished = Atomic(false)

    init(route: RequestMetrics.Route, active: Meter, start: ContinuousClock.Instant) {
        self.route = route
        self.active = active
        self.start = start
    }

    func finish() {
        guard !finished.exchange(true, ordering: .relaxed) else { return }
        route.record(since: start)
        active.decrement()
    }

    deinit { finish() }
}

/// The metric objects of each method and route, made once: swift-metrics' factories look
/// labels up on every creation.
private final class RequestMetrics: Sendable {
    struct RouteKey: Hashable {
        let endpoint: String
        let method: HTTPRequest.Method
        let status: HTTPResponse.Status
    }

    struct Route: Sendable {
        let requests: Counter
        let errors: Counter
        let duration: Metrics.Timer

        init(_ key: RouteKey) {
            let status = String(key.status.code)
            let labels = [("http.route", key.endpoint), ("http.request.method", key.method.rawValue)]
            requests = Counter(label: "hb.requests", dimensions: labels + [("http.response.status_code", status)])
            duration = Metrics.Timer(
                label: "http.server.request.duration",
                dimensions: labels + [("http.response.status_code", status)],
                preferredDisplayUnit: .seconds
            )
            errors = Counter(label: "hb.request.errors", dimensions: labels + [("error.type", status)])
        }

        func record(since start: ContinuousClock.Instant) {
            requests.increment()
            duration.recordNanoseconds(Int64((ContinuousClock.now - start) / .nanoseconds(1)))
        }
    }

    private let meters = Mutex<[HTTPRequest.Method: Meter]>([:])
    private let routes = Mutex<[RouteKey: Route]>([:])

    func activeRequests(method: HTTPRequest.Method) -> Meter {
        meters.withLock { meters in
            if let meter = meters[method] { return meter }
            let meter = Meter(label: "http.server.active_requests", dimensions: [("http.request.method", method.rawValue)])
            meters[method] = meter
            return meter
        }
    }

    func route(endpoint: String, method: HTTPRequest.Method, status: HTTPResponse.Status) -> Route {
        let key = RouteKey(endpoint: endpoint, method: method, status: status)
        return routes.withLock { routes in
            if let route = routes[key] { return route }
            let route = Route(key)
            routes[key] = route
            return route
        }
    }
}
