import Crypto
public import Foundation
public import HTTPTypes
import Hummingbird
public import Logging
import NIOCore
public import PortcullisCore
public import PortcullisHTTP
import ServiceLifecycle
import Synchronization

/// A real Portcullis server on a loopback port, in process, for tests of services that trust its
/// tokens. It can be stopped and started again on the same port (the issuer "goes away"), and it
/// counts the requests it receives by path.
public final class LiveIssuer: Sendable {
    /// The wired services; tests use them to act on the server directly (for example to revoke
    /// while its HTTP side is stopped).
    public let services: PortcullisServices
    /// The port it listens on, fixed for its lifetime.
    public let port: Int
    /// `http://127.0.0.1:PORT`, the issuer its tokens name.
    public var url: String { "http://127.0.0.1:\(port)" }

    private let traffic = Mutex<[Request]>([])
    private let canned = Mutex<[String: CannedResponse]>([:])
    private let running = Mutex<InProcessServer?>(nil)
    private let logger: Logger

    /// One request the server received.
    public struct Request: Sendable {
        /// Its path.
        public let path: String
        /// Its `Last-Event-ID` header, if any.
        public let lastEventID: String?
    }

    /// Creates a server on a free loopback port (not yet started).
    /// - Parameters:
    ///   - store: the store; a fresh in-memory one by default.
    ///   - logger: the server's logger.
    ///   - mail: where the issuer's mail goes; with one, mail is on (and delivered by the issuer).
    ///   - configure: changes to the default configuration (issuer and port are set here).
    public init(
        store: any PortcullisStore = MemoryStore(),
        logger: Logger = Logger(label: "issuer", factory: { _ in SwiftLogNoOpLogHandler() }),
        mail: (any MailTransport)? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) throws {
        let port = try LoopbackPort.free()
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.issuer = "http://127.0.0.1:\(port)"
        configuration.passwordHashing = ScryptParameters(logN: 12, blockSize: 8, parallelism: 1)
        // Normal priority: beside a test suite that keeps every core busy, hashing that yields
        // (the server's default) could wait for seconds.
        configuration.passwordHashingPriority = .normal
        if mail != nil { configuration.mail = .folder("unused: the given transport delivers") }
        configure(&configuration)
        self.port = port
        self.logger = logger
        self.services = PortcullisServices(
            configuration: configuration,
            store: store,
            keyEncryption: try KeyEncryptionKey(bytes: Array(repeating: 9, count: 32)),
            logger: logger,
            mailTransport: mail
        )
    }

    /// Starts serving; returns once the port accepts connections. Throws if the server cannot
    /// listen (a restart finding its port taken), retrying for a second first, while a previous
    /// instance's socket may still be closing.
    public func start() async throws {
        // As `portcullis serve` does: a signing key exists before the first request.
        _ = try await services.tokens.keyRing.signingKey()
        var attempt = 0
        while true {
            do {
                return try await listen()
            } catch  where attempt < 10 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    private func listen() async throws {
        let router = Router(context: PortcullisRequestContext.self)
        router.add(middleware: TrafficMiddleware(issuer: self))
        PortcullisApplication.addRoutes(to: router, services: services)
        // The store sweeper stays off (tests drive it themselves); the mail delivery runs, as mail
        // is only ever sent by it, and so does the revocation broadcaster, which feeds the streams.
        let background = PortcullisApplication.backgroundServices(services: services, logger: logger).filter {
            $0 is MailDelivery || $0 is RevocationBroadcaster
        }
        let server = try await InProcessServer.start(
            router: router,
            port: port,
            configuration: services.configuration,
            services: background,
            logger: logger
        )
        running.withLock { $0 = server }
    }

    /// Stops serving (open streams are ended) and waits until the port is closed.
    public func stop() async {
        let server = running.withLock { running in
            defer { running = nil }
            return running
        }
        await server?.stop()
    }

    /// Every request received so far.
    public var requests: [Request] { traffic.withLock { $0 } }

    /// How many requests for `path` were received so far.
    public func requestCount(_ path: String) -> Int { traffic.withLock { $0.count { $0.path == path } } }

    /// A fixed answer that stands in for a misbehaving issuer or proxy on one path.
    public enum CannedResponse: Sendable {
        /// This status and an empty body (a proxy that does not pass the route through).
        case status(HTTPResponse.Status)
        /// 200 with this JSON body (for example a key set that is not one).
        case json(String)
        /// 200 `text/event-stream` that never sends a byte (a stream that hangs).
        case silentStream
    }

    /// Answers requests for `path` with `response` from now on; `nil` restores the real route.
    public func answer(_ path: String, with response: CannedResponse?) {
        canned.withLock { $0[path] = response }
    }

    fileprivate func record(_ request: Hummingbird.Request) -> CannedResponse? {
        traffic.withLock { $0.append(Request(path: request.uri.path, lastEventID: request.headers[.init("Last-Event-ID")!])) }
        return canned.withLock { $0[request.uri.path] }
    }
}

/// Records each request for ``LiveIssuer`` and gives the canned answers it was told to.
private struct TrafficMiddleware: RouterMiddleware {
    let issuer: LiveIssuer

    func handle(
        _ request: Request,
        context: PortcullisRequestContext,
        next: (Request, PortcullisRequestContext) async throws -> Response
    ) async throws -> Response {
        switch issuer.record(request) {
        case nil:
            return try await next(request, context)
        case .status(let status):
            return Response(status: status)
        case .json(let body):
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: body)))
        case .silentStream:
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream"],
                body: ResponseBody { writer in
                    try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(3600)) }
                    try await writer.finish(nil)
                }
            )
        }
    }
}

extension LiveIssuer {
    /// Registers an account (password `correct horse battery staple`), with `roles`.
    public func signUp(_ email: String, roles: [String] = []) async throws -> Account {
        try await services.accounts.register(email: email, password: Self.password, roles: roles)
    }

    /// Access and refresh tokens for `account`, as the password grant would issue them (after a
    /// second step, with `authMethods` such as ``AuthenticationMethod/passwordAndCode``).
    /// - Parameter signedInAt: when the sign-in happened (`auth_time`), if not now: the tokens then
    ///   come from a refresh of a family started at that moment.
    public func tokens(
        for account: Account,
        authMethods: [AuthenticationMethod] = [.password],
        signedInAt: Date? = nil
    ) async throws -> TokenService.Issued {
        guard let signedInAt else { return try await services.tokens.issue(for: account, audience: nil, authMethods: authMethods) }
        let refreshToken = SecureRandom.token(byteCount: 32)
        let now = Date()
        let family = RefreshFamily(
            id: SecureRandom.token(byteCount: 16),
            accountID: account.id,
            clientID: services.configuration.tokenPolicy.firstPartyClientID,
            audience: try services.tokens.audience(nil),
            createdAt: signedInAt,
            lastUsedAt: now,
            idleTimeout: .seconds(3600),
            absoluteExpiry: now.addingTimeInterval(3600),
            authMethods: authMethods
        )
        _ = try await services.store.apply(
            [.insertRefreshFamily(family, firstTokenHash: Array(SHA256.hash(data: Array(refreshToken.utf8))))],
            stamp: RevocationStamp(revokedAt: now, expiresAt: now)
        )
        return try await services.tokens.refresh(refreshToken, audience: nil)
    }

    /// The password ``signUp(_:roles:)`` gives every account.
    public static let password = "correct horse battery staple"
}
