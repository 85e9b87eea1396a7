import Hummingbird
import Logging
import NIOCore
import PortcullisCore
import Prometheus

/// `/healthz` and `/readyz`, and the server's `/metrics` (docs/operations.md#metrics-and-alerts).
struct OperationsRoutes {
    let store: any PortcullisStore

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.get("healthz") { _, _ in
            try Response.json(Status(status: "ok"))
        }
        router.get("readyz") { _, context in
            do {
                try await store.checkHealth()
                return try Response.json(Status(status: "ready"))
            } catch {
                context.logger.warning("store not ready", metadata: ["portcullis.error": "\(String(describing: error))"])
                return try Response.json(Status(status: "unavailable"), status: .serviceUnavailable)
            }
        }
    }

    /// `GET /metrics`: what `registry` holds, in Prometheus's text format.
    static func registerMetrics(on router: some RouterMethods<some RequestContext>, registry: PrometheusCollectorRegistry) {
        router.get("metrics") { _, _ in
            var bytes: [UInt8] = []
            registry.emit(into: &bytes)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(bytes: bytes))
            )
        }
    }

    struct Status: Encodable {
        let status: String
    }
}
