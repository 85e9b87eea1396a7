import Foundation
import Hummingbird
import Logging
import PortcullisHummingbird
import PortcullisVerifier

/// `orders`: a Hummingbird service behind `PortcullisVerifier`.
///
/// Settings come from the environment:
/// - `PORTCULLIS_ISSUER` (required): the Portcullis server, as its tokens' `iss` say.
/// - `PORTCULLIS_CLIENT_ID`, `PORTCULLIS_CLIENT_SECRET`: a service client (`portcullis clients create`)
///   for the revocation feed. Without them revoked tokens stay valid until they expire.
/// - `ORDERS_AUDIENCE` (default `api`), `ORDERS_HOST` (default `127.0.0.1`), `ORDERS_PORT` (default 8081).
@main
struct Orders {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        guard let issuer = environment["PORTCULLIS_ISSUER"] else {
            FileHandle.standardError.write(Data("orders: set PORTCULLIS_ISSUER to the Portcullis server's URL\n".utf8))
            exit(64)
        }
        var configuration = VerifierConfiguration(issuer: issuer, audiences: [environment["ORDERS_AUDIENCE"] ?? "api"])
        if let id = environment["PORTCULLIS_CLIENT_ID"], let secret = environment["PORTCULLIS_CLIENT_SECRET"] {
            configuration.client = .init(id: id, secret: secret)
        }
        let verifier = PortcullisVerifier(configuration: configuration, logger: Logger(label: "orders.verifier"))
        let book = OrderBook()

        let router = Router(context: BearerRequestContext.self)
        router.add(middleware: BearerAuthenticator(verifier: verifier, realm: "orders"))
        router.get("healthz") { _, _ in "ok" }

        // Any signed-in user: their own orders.
        let mine = router.group("orders").add(middleware: RequireIdentity(realm: "orders"))
        mine.get { _, context in
            await book.orders(of: try context.subject)
        }
        mine.post { request, context in
            struct NewOrder: Decodable { let item: String }
            let order = try await request.decode(as: NewOrder.self, context: context)
            return EditedResponse(status: .created, response: await book.place(item: order.item, customer: try context.subject))
        }
        // Admins only: everyone's orders.
        router.group("admin/orders").add(middleware: RequireIdentity(roles: ["admin"], realm: "orders")).get { _, _ in
            await book.all()
        }

        let host = environment["ORDERS_HOST"] ?? "127.0.0.1"
        let port = Int(environment["ORDERS_PORT"] ?? "") ?? 8081
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: "orders"),
            services: [verifier],
            onServerRunning: { channel in
                FileHandle.standardOutput.write(Data("orders listening on http://\(host):\(channel.localAddress?.port ?? port)\n".utf8))
            },
            logger: Logger(label: "orders")
        )
        try await app.runService()
    }
}

extension Order: ResponseEncodable {}

extension BearerRequestContext {
    /// The verified caller's account id (the routes that use it sit behind `RequireIdentity`).
    var subject: String {
        get throws {
            guard let identity else { throw HTTPError(.unauthorized) }
            return identity.subject
        }
    }
}
