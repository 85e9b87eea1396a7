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
import Prometheus
import Testing

/// The application's own request context: what Portcullis needs, and the application's own state.
struct NotebookContext: PortcullisAuthRequestContext {
    var coreContext: CoreRequestContextStorage
    let remoteAddress: SocketAddress?
    var clientAddress: String?
    var session: AuthenticatedSession?
    var bearer: BearerIdentity?
    /// Set by the application's own middleware.
    var theme = "plain"

    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}

/// The application's own middleware, on its own context.
struct ThemeMiddleware: RouterMiddleware {
    func handle(_ request: Request, context: NotebookContext, next: (Request, NotebookContext) async throws -> Response) async throws -> Response {
        var context = context
        context.theme = request.headers[HTTPField.Name("X-Theme")!] ?? context.theme
        return try await next(request, context)
    }
}

/// The monolith case: an application mounts Portcullis's routes and middleware inside its own
/// router, on its own request context, with its own store and its own metrics backend, and guards
/// its own routes with the session.
@Suite("Embedding Portcullis in an application")
struct EmbeddingTests {
    static func withMonolith(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("app.sqlite"))
        try await store.migrate()
        var configuration = ServerConfiguration()
        configuration.passwordHashing = TestApp.cheapHashing
        // As in TestApp: hashing that yields could starve beside the rest of the suite.
        configuration.passwordHashingPriority = .normal
        let logger = Logger(label: "app", factory: { _ in SwiftLogNoOpLogHandler() })
        _ = TestMetrics.registry  // the application's metrics backend, bootstrapped before anything records
        let services = PortcullisServices(configuration: configuration, store: store, keyEncryption: TestApp.keyEncryption, logger: logger)

        let router = Router(context: NotebookContext.self)
        router.add(middleware: ThemeMiddleware())
        PortcullisApplication.addRoutes(to: router, services: services)
        router.get("dashboard") { _, context in
            let current = try context.requireSession()
            return "Welcome, \(current.account.email) (\(context.theme))"
        }
        let forms = router.group().add(middleware: CSRFMiddleware())
        forms.post("notes") { _, context in
            _ = try context.requireSession()
            return Response(status: .seeOther, headers: [.location: "/dashboard"])
        }
        // Forgot the CSRF middleware: the session must not be usable by its unsafe requests.
        router.post("unguarded") { _, context in
            _ = try context.requireSession()
            return Response(status: .noContent)
        }
        let app = Application(
            router: router,
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            services: PortcullisApplication.backgroundServices(services: services, logger: logger),
            logger: logger
        )
        do {
            try await app.test(.live, body)
        } catch {
            try await store.close()
            throw error
        }
        try await store.close()
    }

    @Test func theApplicationsOwnRoutesSeeThePortcullisSession() async throws {
        try await Self.withMonolith { client in
            #expect(try await client.get("/dashboard").status == .unauthorized)
            let browser = try await client.signUpAndLogIn("ada@example.com")
            let page = try await client.get("/dashboard", headers: browser.cookieHeader)
            #expect(page.status == .ok)
            #expect(page.text == "Welcome, ada@example.com (plain)")
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
            let genuine = try await client.executeRequest(
                uri: "/notes",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: "text=hi&csrf_token=\(browser.csrf)")
            )
            #expect(genuine.status == .seeOther)
            var crossSite = headers
            crossSite[HTTPField.Name("Sec-Fetch-Site")!] = "cross-site"
            let attack = try await client.executeRequest(
                uri: "/notes",
                method: .post,
                headers: crossSite,
                body: ByteBuffer(string: "text=hi&csrf_token=\(browser.csrf)")
            )
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

    @Test func anUnsafeRouteWithoutTheCSRFMiddlewareNeverActsForTheSession() async throws {
        try await Self.withMonolith { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            var headers = browser.cookieHeader
            headers[.contentType] = "application/x-www-form-urlencoded"
            let withToken = try await client.executeRequest(
                uri: "/unguarded",
                method: .post,
                headers: headers,
                body: ByteBuffer(string: "csrf_token=\(browser.csrf)")
            )
            #expect(withToken.status == .forbidden)
            headers[HTTPField.Name("X-CSRF-Token")!] = browser.csrf
            #expect(try await client.executeRequest(uri: "/unguarded", method: .post, headers: headers, body: nil).status == .forbidden)
        }
    }

    /// Fifty posts at once from two signed-in browsers: only those carrying their own session's
    /// token get through, whatever runs beside them.
    @Test func concurrentFormPostsPassOnlyWithTheirOwnSessionsToken() async throws {
        try await Self.withMonolith { client in
            let ada = try await client.signUpAndLogIn("ada@example.com")
            let mallory = try await client.signUpAndLogIn("mallory@example.com")
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            let statuses = try await withThrowingTaskGroup(of: (Int, HTTPResponse.Status).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        var headers = ada.cookieHeader
                        headers.append(contentsOf: form)
                        let token = [ada.csrf, mallory.csrf, ""][index % 3]
                        let response = try await client.executeRequest(
                            uri: "/notes",
                            method: .post,
                            headers: headers,
                            body: ByteBuffer(string: "text=\(index)&csrf_token=\(token)")
                        )
                        return (index, response.status)
                    }
                }
                return try await group.reduce(into: [Int: HTTPResponse.Status]()) { $0[$1.0] = $1.1 }
            }
            for (index, status) in statuses {
                #expect(status == (index % 3 == 0 ? .seeOther : .forbidden), "post \(index)")
            }
            #expect(statuses.count == 50)
        }
    }

    @Test func theApplicationsMiddlewareAndContextWorkBesidePortcullis() async throws {
        try await Self.withMonolith { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            var headers = browser.cookieHeader
            headers[HTTPField.Name("X-Theme")!] = "dark"
            #expect(try await client.get("/dashboard", headers: headers).text == "Welcome, ada@example.com (dark)")
        }
    }

    @Test func portcullisRecordsItsMetricsInTheApplicationsBackend() async throws {
        try await Self.withMonolith { client in
            _ = try await client.signUpAndLogIn("metrics-probe@example.com")
            _ = try await client.get("/dashboard")
            var bytes: [UInt8] = []
            TestMetrics.registry.emit(into: &bytes)
            let text = String(decoding: bytes, as: UTF8.self)
            #expect(text.contains("portcullis_logins_total{result=\"success\"}"))
            #expect(text.contains("hb_requests"), "Hummingbird's request metrics, through swift-metrics")
        }
    }
}
