import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PortcullisHTTP
import Prometheus
import Testing

/// The request metrics keep Hummingbird's names and labels: answers of known length are
/// counted when the handler returns them, streams when they end, and errors as errors.
@Suite struct RequestMetricsTests {
    struct ProbeFailure: HTTPResponseError {
        var status: HTTPResponse.Status { .conflict }
        func response(from request: Request, context: some RequestContext) throws -> Response { Response(status: status) }
    }

    @Test func answersStreamsAndErrorsAreCountedAndTimed() async throws {
        _ = TestMetrics.registry
        let router = Router()
        router.add(middleware: RequestMetricsMiddleware())
        router.get("metrics-probe/fixed") { _, _ in "fixed" }
        router.get("metrics-probe/stream") { _, _ in
            Response(
                status: .ok,
                body: ResponseBody { writer in
                    try await writer.write(ByteBuffer(string: "one "))
                    try await writer.write(ByteBuffer(string: "two"))
                    try await writer.finish(nil)
                }
            )
        }
        router.get("metrics-probe/conflict") { _, _ -> String in throw ProbeFailure() }
        try await Application(router: router).test(.live) { client in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        let text = try await client.get("/metrics-probe/fixed").text
                        #expect(text == "fixed")
                    }
                }
                for _ in 0..<3 {
                    group.addTask {
                        let text = try await client.get("/metrics-probe/stream").text
                        #expect(text == "one two")
                    }
                }
                group.addTask {
                    let status = try await client.get("/metrics-probe/conflict").status
                    #expect(status == .conflict)
                }
                try await group.waitForAll()
            }
        }
        let text = emitted()
        #expect(text.contains(#"hb_requests{http_route="/metrics-probe/fixed",http_request_method="GET",http_response_status_code="200"} 20"#))
        #expect(text.contains(#"hb_requests{http_route="/metrics-probe/stream",http_request_method="GET",http_response_status_code="200"} 3"#))
        #expect(
            text.contains(
                #"http_server_request_duration_count{http_route="/metrics-probe/fixed",http_request_method="GET",http_response_status_code="200"} 20"#
            )
        )
        #expect(text.contains(#"hb_request_errors{http_route="/metrics-probe/conflict",http_request_method="GET",error_type="409"} 1"#))
        #expect(
            text.contains(
                #"http_server_request_duration_count{http_route="/metrics-probe/stream",http_request_method="GET",http_response_status_code="200"} 3"#
            )
        )
    }

    private func emitted() -> String {
        var bytes: [UInt8] = []
        TestMetrics.registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
