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
                    try await Task.sleep(for: .milliseconds(100))
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
        let lines = Set(emitted().split(separator: "\n").map(String.init))
        let fixed = #"{http_route="/metrics-probe/fixed",http_request_method="GET",http_response_status_code="200"}"#
        let stream = #"{http_route="/metrics-probe/stream",http_request_method="GET",http_response_status_code="200"}"#
        #expect(lines.contains("hb_requests\(fixed) 20"))
        #expect(lines.contains("http_server_request_duration_count\(fixed) 20"))
        #expect(lines.contains("hb_requests\(stream) 3"))
        #expect(lines.contains("http_server_request_duration_count\(stream) 3"))
        let streamSeconds = lines.first { $0.hasPrefix("http_server_request_duration_sum\(stream) ") }.flatMap {
            Double($0.split(separator: " ").last!)
        }
        #expect((streamSeconds ?? 0) >= 0.3, "a stream is timed to its end: 3 × 100 ms at least")
        #expect(lines.contains(#"hb_request_errors{http_route="/metrics-probe/conflict",http_request_method="GET",error_type="409"} 1"#))
        // `http_server_active_requests` is one gauge for every test app in this process, so
        // its return to 0 cannot be checked while other suites run.
    }

    private func emitted() -> String {
        var bytes: [UInt8] = []
        TestMetrics.registry.emit(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }
}
