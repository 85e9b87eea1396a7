import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One Portcullis instance for an experiment: the same services and routes as `portcullis serve`,
/// over a throwaway store, serving on a loopback port until stopped. Two instances over one store
/// are two servers behind a load balancer.
final class ThrowawayInstance: Sendable {
    let services: PortcullisServices
    /// `http://127.0.0.1:PORT`, also the issuer its tokens name.
    let url: String
    let port: Int
    private let server: InProcessServer

    private init(services: PortcullisServices, url: String, port: Int, server: InProcessServer) {
        self.services = services
        self.url = url
        self.port = port
        self.server = server
    }

    /// Starts an instance over `store` with the settings of `portcullis serve` (as changed by
    /// `configure`), except the throttle, which is off so that the experiments may sign in often.
    /// - Parameter port: the port; a free one by default. A restart names the port it had, so its
    ///   issuer URL, and so its tokens, stay the same.
    static func start(
        store: any PortcullisStore,
        keyEncryption: KeyEncryptionKey,
        port: Int? = nil,
        configure: (inout ServerConfiguration) -> Void = { _ in }
    ) async throws -> ThrowawayInstance {
        let port = try port ?? LoopbackPort.free()
        var configuration = ServerConfiguration()
        configuration.host = "127.0.0.1"
        configuration.port = port
        configuration.loginThrottle = nil
        // Hashing is not among the measures: the cost of the tests' servers keeps sign-ins quick.
        configuration.passwordHashing = ScryptParameters(logN: 12, blockSize: 8, parallelism: 1)
        configuration.passwordHashingPriority = .normal
        configure(&configuration)
        let logger = Logger(label: "portcullis.compare", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = PortcullisServices(configuration: configuration, store: store, keyEncryption: keyEncryption, logger: logger)
        // As `portcullis serve` does: a signing key exists before the first request.
        _ = try await services.tokens.keyRing.signingKey()
        let router = Router(context: PortcullisRequestContext.self)
        PortcullisApplication.addRoutes(to: router, services: services)
        // A restart may find the port still closing for a moment.
        var attempt = 0
        while true {
            do {
                let background = PortcullisApplication.backgroundServices(services: services, logger: logger)
                let server = try await InProcessServer.start(
                    router: router,
                    port: port,
                    configuration: configuration,
                    services: background,
                    logger: logger
                )
                return ThrowawayInstance(services: services, url: configuration.effectiveIssuer, port: port, server: server)
            } catch  where attempt < 20 {
                attempt += 1
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    /// Stops serving; the store stays open.
    func stop() async {
        await server.stop()
    }
}

/// The throwaway stores of one run: SQLite files in a temporary folder removed at the end.
struct ThrowawayStores: Sendable {
    let folder: URL
    /// The key that seals every instance's signing keys in this run.
    let keyEncryption: KeyEncryptionKey

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-compare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        keyEncryption = try KeyEncryptionKey(bytes: SecureRandom.bytes(32))
    }

    /// A migrated SQLite store in the file `name` of the folder (created by the first call).
    func sqlite(_ name: String) async throws -> SQLiteStore {
        let store = try await SQLiteStore.open(path: folder.appendingPathComponent("\(name).sqlite").path)
        try await store.migrate()
        return store
    }

    /// Removes the folder and everything in it.
    func remove() {
        try? FileManager.default.removeItem(at: folder)
    }
}
