import ArgumentParser
import Logging
import PortcullisCore
import PortcullisHTTP
import Prometheus

/// `portcullis routes`: every method and path the server answers, one per line, in the order
/// they are registered. It reads no settings and opens no store: the routes are the same whatever
/// the settings (a page that needs mail answers "not offered" when mail is off).
struct RoutesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "routes", abstract: "List every route the server answers.")

    func run() throws {
        let logger = Logger(label: "portcullis.routes", factory: { _ in SwiftLogNoOpLogHandler() })
        let services = PortcullisServices(
            configuration: ServerConfiguration(),
            store: MemoryStore(),
            keyEncryption: try KeyEncryptionKey(bytes: [UInt8](repeating: 0, count: 32)),
            logger: logger
        )
        let recorder = RouteRecorder()
        PortcullisApplication.addServerRoutes(to: recorder, services: services, metrics: PrometheusCollectorRegistry())
        for route in recorder.routes { print(route) }
    }
}
