import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import Metrics
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Prometheus
import Testing

/// One Portcullis application under test, with the knobs tests turn.
struct TestApp {
    let services: PortcullisServices
    let store: any PortcullisStore
    let clock: ManualClock
    let app: any ApplicationProtocol

    static let keyEncryption = try! KeyEncryptionKey(bytes: Array(repeating: 7, count: 32))

    /// Scrypt at N=2^12: the real algorithm and format, cheap enough for hundreds of logins.
    static let cheapHashing = ScryptParameters(logN: 12, blockSize: 8, parallelism: 1)

    /// Where mail goes when the app was made with one: a recorder, delivered by ``deliverMail()``.
    let mail: RecordingMailTransport?

    init(
        store: (any PortcullisStore)? = nil,
        logger: Logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }),
        mail: RecordingMailTransport? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) {
        var configuration = ServerConfiguration()
        configuration.port = 0
        configuration.passwordHashing = Self.cheapHashing
        // Normal priority: beside the rest of the suite, which keeps every core busy, hashing
        // that yields (the server's default) could wait for seconds.
        configuration.passwordHashingPriority = .normal
        // Tests here change accounts behind the services' back (promote); the cache and its
        // broadcaster are tested in PortcullisCoreTests and, across processes, end to end.
        configuration.sessionCache = false
        if mail != nil { configuration.mail = .folder("unused: the recorder delivers") }
        configure(&configuration)
        let store = store ?? MemoryStore()
        let clock = ManualClock()
        self.store = store
        self.clock = clock
        self.mail = mail
        self.services = PortcullisServices(
            configuration: configuration,
            store: store,
            keyEncryption: Self.keyEncryption,
            clock: clock,
            logger: logger,
            mailTransport: mail
        )
        self.app = PortcullisApplication.build(services: services, metrics: TestMetrics.registry, logger: logger)
    }

    /// Sends what the outbox holds through the recorder, waiting for mail that requests queue
    /// after answering, until `count` messages have been recorded.
    func deliverMail(until count: Int) async throws {
        let mail = try #require(self.mail)
        let delivery = MailDelivery(store: store, mailer: try #require(services.mailer), transport: mail, clock: clock, logger: Logger(label: "test"))
        for _ in 0..<300 where mail.sent.count < count {
            try await delivery.deliverDue()
            if mail.sent.count < count { try await Task.sleep(for: .milliseconds(10)) }
        }
        #expect(mail.sent.count >= count, "only \(mail.sent.count) of \(count) messages")
    }

    func test<Value>(_ setup: TestingSetup = .router, _ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await app.test(setup, body)
    }
}

/// swift-metrics can be bootstrapped once per process: every test app shares this registry.
enum TestMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

let strongPassword = "correct horse battery staple"

/// A signed-in browser: its cookie value and CSRF token.
struct Browser: Sendable {
    let cookie: String
    let csrf: String
    let sessionID: String

    var cookieHeader: HTTPFields { [.cookie: "__Host-portcullis_session=\(cookie)"] }

    func headers(csrf: Bool = true, _ extra: HTTPFields = [:]) -> HTTPFields {
        var headers = cookieHeader
        if csrf { headers[HTTPField.Name("X-CSRF-Token")!] = self.csrf }
        headers.append(contentsOf: extra)
        return headers
    }
}

extension TestClientProtocol {
    func post(_ uri: String, json: [String: Any], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/json"
        let body = try JSONSerialization.data(withJSONObject: json)
        return try await executeRequest(uri: uri, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    @discardableResult
    func register(_ email: String, _ password: String = strongPassword) async throws -> TestResponse {
        try await post("/v1/accounts", json: ["email": email, "password": password])
    }

    func logIn(_ email: String, _ password: String = strongPassword, remember: Bool = false, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await post("/v1/sessions", json: ["email": email, "password": password, "remember": remember], headers: headers)
    }

    /// Registers `email` and signs in, returning the browser state.
    func signUpAndLogIn(_ email: String, remember: Bool = false) async throws -> Browser {
        let registered = try await register(email)
        #expect(registered.status == .created)
        let response = try await logIn(email, remember: remember)
        #expect(response.status == .created)
        return try response.browser()
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await executeRequest(uri: uri, method: .get, headers: headers, body: nil)
    }

    func delete(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await executeRequest(uri: uri, method: .delete, headers: headers, body: nil)
    }
}

extension TestResponse {
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
    }

    var text: String { String(buffer: body) }

    /// The value the response's `Set-Cookie` gives the session cookie.
    var sessionCookieValue: String? {
        guard let header = headers[.setCookie], header.hasPrefix("__Host-portcullis_session=") else { return nil }
        return String(header.dropFirst("__Host-portcullis_session=".count).prefix { $0 != ";" })
    }

    func browser() throws -> Browser {
        let cookie = try #require(sessionCookieValue)
        let csrf = try #require(json["csrf_token"] as? String)
        let session = try #require(json["session"] as? [String: Any])
        return Browser(cookie: cookie, csrf: csrf, sessionID: try #require(session["id"] as? String))
    }
}

extension TestClientProtocol {
    /// `POST /v1/token` with a form body.
    func token(_ parameters: [String: String], headers: HTTPFields = [:]) async throws -> TestResponse {
        var headers = headers
        headers[.contentType] = "application/x-www-form-urlencoded"
        let body = parameters.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
            .joined(separator: "&")
        return try await executeRequest(uri: "/v1/token", method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func passwordGrant(_ email: String, _ password: String = strongPassword, audience: String? = nil) async throws -> TestResponse {
        var parameters = ["grant_type": "password", "username": email, "password": password]
        parameters["audience"] = audience
        return try await token(parameters)
    }

    func refreshGrant(_ refreshToken: String) async throws -> TestResponse {
        try await token(["grant_type": "refresh_token", "refresh_token": refreshToken])
    }

    func revoke(_ token: String) async throws -> TestResponse {
        try await executeRequest(
            uri: "/v1/token/revoke",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded"],
            body: ByteBuffer(string: "token=\(token)")
        )
    }
}

func bearer(_ token: String) -> HTTPFields { [.authorization: "Bearer \(token)"] }

extension TestApp {
    /// A new service client and its HTTP Basic header.
    func serviceClient() async throws -> HTTPFields {
        let (client, secret) = ServiceClient.create(name: "orders", now: clock.now)
        try await store.insertClient(client)
        return [.authorization: "Basic " + Data("\(client.id):\(secret)".utf8).base64EncodedString()]
    }

    /// Makes `email` an admin.
    func promote(_ email: String) async throws {
        let account = try #require(try await store.account(email: email))
        _ = try await store.changeAccount(id: account.id, AccountChange(roles: ["admin"]), at: clock.now)
    }
}
