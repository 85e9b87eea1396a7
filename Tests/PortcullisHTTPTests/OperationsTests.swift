import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTesting
import Testing

@Suite("Operations endpoints")
struct OperationsTests {
    @Test func healthzAnswers() async throws {
        try await TestApp().test { client in
            let response = try await client.get("/healthz")
            #expect(response.status == .ok)
        }
    }

    @Test func readyzFollowsTheStore() async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("ready.sqlite"))
        try await store.migrate()
        let app = TestApp(store: store)
        try await app.test { client in
            #expect(try await client.get("/readyz").status == .ok)
            try await store.close()
            let response = try await client.get("/readyz")
            #expect(response.status == .serviceUnavailable)
            // Requests that need the store answer 503 too, never 500.
            #expect(try await client.register("ada@example.com").status == .serviceUnavailable)
        }
    }

    @Test func metricsAreInPrometheusTextFormat() async throws {
        try await TestApp().test { client in
            try await client.register("ada@example.com")
            _ = try await client.logIn("ada@example.com")
            _ = try await client.logIn("ada@example.com", "wrong password entirely")
            let response = try await client.get("/metrics")
            #expect(response.status == .ok)
            #expect(response.headers[.contentType]?.hasPrefix("text/plain") == true)
            #expect(response.text.contains("# TYPE portcullis_logins_total counter"))
            #expect(response.text.contains("portcullis_logins_total{result=\"success\"}"))
            #expect(response.text.contains("portcullis_logins_total{result=\"failure\"}"))
        }
    }

    @Test func unknownPathsAnswerProblemJSON() async throws {
        try await TestApp().test { client in
            let response = try await client.get("/nothing-here")
            #expect(response.status == .notFound)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(response.json["title"] as? String == "Not Found")
        }
    }
}
