import Foundation
import NIOHTTP1
import PortcullisHTTP
import PortcullisTesting
import Testing

/// The example applications, built by `Scripts/test`, which names their folder in
/// `PORTCULLIS_EXAMPLES_BIN`.
enum ExampleBinaries {
    static let directory: URL? = ProcessInfo.processInfo.environment["PORTCULLIS_EXAMPLES_BIN"].map { URL(fileURLWithPath: $0) }

    static func url(_ name: String) throws -> URL {
        try #require(directory).appendingPathComponent(name)
    }
}

/// The README's two walkthroughs, run for real: the `orders` microservice trusting tokens from a
/// running `portcullis serve`, and the `monolith` embedding Portcullis sessions.
@Suite(
    "Examples",
    .enabled(if: ExampleBinaries.directory != nil, "Scripts/test builds the examples and sets PORTCULLIS_EXAMPLES_BIN"),
    .timeLimit(.minutes(3))
)
struct ExampleTests {
    @Test func ordersTrustsPortcullisTokensOfflineAndRefusesThemOnceRevoked() async throws {
        let directory = try TemporaryDirectory()
        let password = "correct horse battery staple"
        #expect(
            await PortcullisBinary.createUser("ada@example.com", in: directory.url)
                .status == 0
        )
        let created = await PortcullisBinary.run(["clients", "create", "--name", "orders"], in: directory.url)
        let client = try #require(try JSONSerialization.jsonObject(with: Data(created.stdout.utf8)) as? [String: String])
        let port = try LoopbackPort.free()
        let issuer = "http://127.0.0.1:\(port)"
        let portcullis = try await ServerProcess.start(in: directory.url, port: port, arguments: ["--issuer", issuer])
        let orders = try await ServerProcess.launch(
            try ExampleBinaries.url("orders"),
            in: directory.url,
            environment: [
                "PORTCULLIS_ISSUER": issuer, "PORTCULLIS_CLIENT_ID": try #require(client["client_id"]),
                "PORTCULLIS_CLIENT_SECRET": try #require(client["client_secret"]), "ORDERS_PORT": "0",
            ]
        )

        // Log in (password grant), then call the service with the access token.
        let grant = try await portcullis.request(
            .POST,
            "/v1/token",
            form: "grant_type=password&username=ada%40example.com&password=correct+horse+battery+staple"
        )
        let token = try #require(grant.json["access_token"] as? String)
        let bearer = ["authorization": "Bearer \(token)"]
        let placed = try await orders.request(.POST, "/orders", json: ["item": "a portcullis"], headers: bearer)
        #expect(placed.status == 201, "\(placed.body)")
        let listed = try await orders.request(.GET, "/orders", headers: bearer)
        #expect(listed.status == 200)
        #expect(listed.body.contains("a portcullis"))
        let anonymous = try await orders.request(.GET, "/orders")
        #expect(anonymous.status == 401)
        #expect(anonymous.headers["www-authenticate"].first == #"Bearer realm="orders""#)
        #expect(try await orders.request(.GET, "/admin/orders", headers: bearer).status == 403)

        // Revoke ("sign out everywhere"); the service refuses the token within a second.
        #expect(try await portcullis.request(.DELETE, "/v1/sessions", headers: bearer).status == 204)
        let clock = ContinuousClock()
        let start = clock.now
        var refused: ServerProcess.Reply?
        while clock.now - start < .seconds(5) {
            let reply = try await orders.request(.GET, "/orders", headers: bearer)
            if reply.status == 401 {
                refused = reply
                break
            }
            try await Task.sleep(for: .milliseconds(25))
        }
        #expect(clock.now - start < .seconds(1))
        #expect(refused?.headers["www-authenticate"].first == #"Bearer realm="orders", error="invalid_token""#)
        try await orders.stop()
        try await portcullis.stop()
    }

    @Test func monolithServesItsOwnPagesBehindTheEmbeddedSession() async throws {
        let directory = try TemporaryDirectory()
        let environment = [
            "MONOLITH_PORT": "0", "MONOLITH_DATABASE": directory.path("monolith.sqlite"), "MONOLITH_KEY_FILE": directory.path("monolith.key"),
        ]
        var monolith = try await ServerProcess.launch(try ExampleBinaries.url("monolith"), in: directory.url, environment: environment)

        let signedOut = try await monolith.request(.GET, "/")
        #expect(signedOut.status == 303)
        #expect(signedOut.headers["location"].first == "/login?next=%2F")
        #expect(try await monolith.request(.GET, "/login?next=%2F").status == 200, "Portcullis's pages come with the embedding")

        // Portcullis's own API, served by the monolith: register and sign in.
        #expect(
            try await monolith.request(.POST, "/v1/accounts", json: ["email": "ada@example.com", "password": "correct horse battery staple"]).status
                == 201
        )
        let login = try await monolith.request(.POST, "/v1/sessions", json: ["email": "ada@example.com", "password": "correct horse battery staple"])
        let cookie = try #require(login.sessionCookie)
        let csrf = try #require(login.json["csrf_token"] as? String)

        // The application's page and form, behind the session and its CSRF token.
        let home = try await monolith.request(.GET, "/", cookie: cookie)
        #expect(home.status == 200)
        #expect(home.body.contains("Notes of ada@example.com"))
        #expect(try await monolith.request(.POST, "/notes", form: "text=forged", cookie: cookie).status == 403)
        let added = try await monolith.request(.POST, "/notes", form: "text=%3Cb%3Eportcullis%3C%2Fb%3E&csrf_token=\(csrf)", cookie: cookie)
        #expect(added.status == 303)
        let withNote = try await monolith.request(.GET, "/", cookie: cookie)
        #expect(withNote.body.contains("&lt;b&gt;portcullis&lt;/b&gt;"))
        #expect(!withNote.body.contains("forged"))
        // Its own middleware on its own context, and Portcullis's counters in its own metrics backend.
        _ = try await monolith.request(.POST, "/notes", form: "text=second&csrf_token=\(csrf)", cookie: cookie)
        let oldestFirst = try await monolith.request(.GET, "/", cookie: cookie).body
        let newestFirst = try await monolith.request(.GET, "/", cookie: "\(cookie); notes_order=newest").body
        #expect(try #require(oldestFirst.range(of: "second")).lowerBound > oldestFirst.range(of: "portcullis")!.lowerBound)
        #expect(try #require(newestFirst.range(of: "second")).lowerBound < newestFirst.range(of: "portcullis")!.lowerBound)
        #expect(try await monolith.request(.GET, "/metrics").body.contains("portcullis_logins_total{result=\"success\"} 1"))

        // Sessions live in the monolith's SQLite file: a restart keeps them.
        try await monolith.stop()
        monolith = try await ServerProcess.launch(try ExampleBinaries.url("monolith"), in: directory.url, environment: environment)
        #expect(try await monolith.request(.GET, "/", cookie: cookie).status == 200)

        // Signing out (the page's form) ends access to the application's pages.
        #expect(try await monolith.request(.POST, "/logout", form: "csrf_token=\(csrf)", cookie: cookie).status == 303)
        #expect(try await monolith.request(.GET, "/", cookie: cookie).status == 303)
        try await monolith.stop()
    }
}
