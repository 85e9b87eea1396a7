import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTesting
import Testing

/// The monolith case: an application mounts Portcullis's routes and session middleware inside its
/// own router, with its own store, and guards its own routes with the session.
@Suite("Embedding Portcullis in an application")
struct EmbeddingTests {
    static func withMonolith(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("app.sqlite"))
        try await store.migrate()
        var configuration = ServerConfiguration()
        configuration.passwordHashing = TestApp.cheapHashing
        let logger = Logger(label: "app", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = PortcullisServices(configuration: configuration, store: store, keyEncryption: TestApp.keyEncryption, logger: logger)

        let router = Router(context: PortcullisRequestContext.self)
        PortcullisApplication.addRoutes(to: router, services: services, metrics: TestMetrics.registry)
        router.get("dashboard") { _, context in
            let current = try context.requireSession()
            return "Welcome, \(current.account.email)"
        }
        router.post("notes") { request, context in
            var request = request
            _ = try await context.requireSession(csrfFrom: &request)
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        let app = Application(router: router, services: PortcullisApplication.backgroundServices(services: services, logger: logger), logger: logger)
        try await app.test(.router, body)
        try await store.close()
    }

    @Test func theApplicationsOwnRoutesSeeThePortcullisSession() async throws {
        try await Self.withMonolith { client in
            #expect(try await client.get("/dashboard").status == .unauthorized)
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let page = try await client.get("/dashboard", headers: browser.cookieHeader)
            #expect(page.status == .ok)
            #expect(page.text == "Welcome, ada@example.com")
            #expect(page.headers[HTTPField.Name("X-Frame-Options")!] == "DENY", "Portcullis's security headers cover the application's routes")
        }
    }

    @Test func theApplicationsFormsAreCSRFProof() async throws {
        try await Self.withMonolith { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            var headers = browser.cookieHeader
            headers.append(contentsOf: form)
            let forged = try await client.executeRequest(uri: "/notes", method: .post, headers: headers, body: ByteBuffer(string: "text=hi"))
            #expect(forged.status == .forbidden)
            let genuine = try await client.executeRequest(uri: "/notes", method: .post, headers: headers, body: ByteBuffer(string: "text=hi&csrf_token=\(browser.csrf)"))
            #expect(genuine.status == .seeOther)
            var crossSite = headers
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            let attack = try await client.executeRequest(uri: "/notes", method: .post, headers: crossSite, body: ByteBuffer(string: "text=hi&csrf_token=\(browser.csrf)"))
            #expect(attack.status == .forbidden)
        }
    }

    @Test func loggingOutEndsAccessToTheApplication() async throws {
        try await Self.withMonolith { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            #expect(try await client.delete("/v1/session", headers: browser.headers()).status == .noContent)
            #expect(try await client.get("/dashboard", headers: browser.cookieHeader).status == .unauthorized)
        }
    }
}
