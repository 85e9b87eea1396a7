import Foundation
import Hummingbird
import Logging
import Metrics
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import Prometheus

/// `monolith`: one Hummingbird application that embeds Portcullis.
///
/// Portcullis's routes (`/v1/accounts`, `/v1/sessions`, `/v1/token`, the pages…) and middleware are
/// mounted on the application's router, which runs on the application's own request context
/// (``MonolithContext``). The application adds its own pages, which read the session, and puts
/// Portcullis's ``CSRFMiddleware`` in front of its own forms. Portcullis's counters go to the
/// metrics backend the application chose (Prometheus here, served on the application's `/metrics`).
///
/// Settings come from the environment: `MONOLITH_DATABASE` (default `monolith.sqlite`),
/// `MONOLITH_KEY_FILE` (default `monolith.key`), `MONOLITH_HOST` (default `127.0.0.1`),
/// `MONOLITH_PORT` (default 8080), `MONOLITH_PUBLIC_URL` (the origin browsers use, when behind a proxy).
@main
struct Monolith {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        let logger = Logger(label: "monolith")
        let store = try await SQLiteStore.open(path: environment["MONOLITH_DATABASE"] ?? "monolith.sqlite", logger: logger)
        try await store.migrate()

        var configuration = ServerConfiguration()
        configuration.host = environment["MONOLITH_HOST"] ?? "127.0.0.1"
        configuration.port = Int(environment["MONOLITH_PORT"] ?? "") ?? 8080
        configuration.publicURL = environment["MONOLITH_PUBLIC_URL"]
        let keyEncryption = try KeyEncryptionKey.loadOrCreate(path: environment["MONOLITH_KEY_FILE"] ?? "monolith.key")
        let services = PortcullisServices(configuration: configuration, store: store, keyEncryption: keyEncryption, logger: logger)

        // The application's metrics backend; Portcullis records through swift-metrics into it.
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))

        let router = Router(context: MonolithContext.self)
        router.add(middleware: NoteOrderMiddleware())
        PortcullisApplication.addRoutes(to: router, services: services)
        let notebook = Notebook()
        router.get("/") { _, context in
            guard let current = context.session else {
                return Response(status: .seeOther, headers: [.location: "/login?next=%2F"])
            }
            let notes = await notebook.notes(of: current.account.id)
            return HomePage(
                email: current.account.email,
                notes: context.newestFirst ? notes.reversed() : notes,
                csrfToken: current.secret.csrfToken
            ).response
        }
        router.get("metrics") { _, _ in
            var bytes: [UInt8] = []
            metrics.emit(into: &bytes)
            return String(decoding: bytes, as: UTF8.self)
        }
        // The application's forms: CSRFMiddleware matches the form's csrf_token to the session,
        // and requireSession() refuses the post (401 or 403) unless it did.
        let forms = router.group().add(middleware: CSRFMiddleware())
        forms.post("notes") { request, context in
            struct NoteForm: Decodable { let text: String }
            let current = try context.requireSession()
            var request = request
            let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
            let form = try URLEncodedFormDecoder().decode(NoteForm.self, from: String(buffer: body))
            await notebook.add(form.text, for: current.account.id)
            return Response(status: .seeOther, headers: [.location: "/"])
        }

        let (host, port) = (configuration.host, configuration.port)
        let app = Application(
            router: router,
            // Portcullis's connection limits (header and idle timeouts, connections per address).
            server: PortcullisApplication.httpServer(configuration),
            configuration: .init(address: .hostname(host, port: port), serverName: "monolith"),
            services: PortcullisApplication.backgroundServices(services: services, logger: logger),
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("monolith listening on http://\(host):\(channel.localAddress?.port ?? port)\n".utf8))
            },
            logger: logger
        )
        try await app.runService()
        try await store.close()
    }
}
