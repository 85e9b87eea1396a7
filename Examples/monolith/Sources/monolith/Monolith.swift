import Foundation
import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import Prometheus

/// `monolith`: one Hummingbird application that embeds Portcullis.
///
/// Portcullis's routes (`/v1/accounts`, `/v1/sessions`, `/v1/token`, the pages…) and middleware are
/// mounted on the application's router; the application adds its own pages, which read
/// `context.session` and check CSRF with Portcullis's own rule.
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

        let router = Router(context: PortcullisRequestContext.self)
        PortcullisApplication.addRoutes(to: router, services: services, metrics: PrometheusCollectorRegistry())
        let notebook = Notebook()
        router.get("/") { _, context in
            guard let current = context.session else {
                return Response(status: .seeOther, headers: [.location: "/login?next=%2F"])
            }
            let notes = await notebook.notes(of: current.account.id)
            return HomePage(email: current.account.email, notes: notes, csrfToken: current.secret.csrfToken).response
        }
        router.post("notes") { request, context in
            struct NoteForm: Decodable { let text: String }
            var request = request
            // The session, once the form's csrf_token matches it (else 401 or 403).
            let current = try await context.requireSession(csrfFrom: &request)
            let body = try await request.collectBody(upTo: context.maxUploadSize)
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
