import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import PortcullisTokens
import PortcullisVerifier
import Testing

/// Runs a verifier against `issuer` for the duration of `body`, once it holds the issuer's keys and
/// (with credentials) has heard from the revocation feed.
func withVerifier<Value>(
    _ issuer: LiveIssuer,
    followRevocations: Bool = true,
    logger: Logger = Logger(label: "verifier", factory: { _ in SwiftLogNoOpLogHandler() }),
    configure: (inout VerifierConfiguration) -> Void = { _ in },
    _ body: (PortcullisVerifier) async throws -> Value
) async throws -> Value {
    var configuration = VerifierConfiguration(issuer: issuer.url, audiences: ["api"])
    if followRevocations {
        let (client, secret) = ServiceClient.create(name: "orders", now: Date())
        try await issuer.services.store.insertClient(client)
        configuration.client = .init(id: client.id, secret: secret)
    }
    configure(&configuration)
    let verifier = PortcullisVerifier(configuration: configuration, logger: logger)
    let running = Task { try await verifier.run() }
    do {
        // Generous: the first fetch competes with every other test starting at the same time.
        try await eventually("the verifier is ready", timeout: .seconds(60)) { verifier.status.hasKeys && !verifier.status.isStale }
        let value = try await body(verifier)
        running.cancel()
        _ = try? await running.value
        return value
    } catch {
        running.cancel()
        _ = try? await running.value
        throw error
    }
}

/// Waits until `condition` holds, checking every 20 ms, failing after `timeout`. Returns how long
/// it took.
@discardableResult
func eventually(_ what: String, timeout: Duration = .seconds(10), _ condition: () async throws -> Bool) async throws -> Duration {
    let clock = ContinuousClock()
    let start = clock.now
    while try await !condition() {
        guard clock.now - start < timeout else {
            Issue.record("timed out waiting until \(what)")
            throw CancellationError()
        }
        try await Task.sleep(for: .milliseconds(20))
    }
    return clock.now - start
}

extension PortcullisVerifier {
    /// Whether `token` verifies.
    func accepts(_ token: String) async -> Bool {
        (try? await verify(token)) != nil
    }

    /// Why `token` is refused; `nil` if it verifies.
    func rejection(_ token: String) async -> TokenRejection? {
        do {
            _ = try await verify(token)
            return nil
        } catch {
            return error
        }
    }
}

/// The requests a verifier makes for its own needs (key set, metadata, feed pages, introspection).
let verifierPaths: Set<String> = [
    "/.well-known/jwks.json", "/.well-known/oauth-authorization-server", "/v1/revocations", "/v1/revocations/stream", "/v1/token/introspect",
]

extension LiveIssuer {
    /// How many requests a verifier has made so far.
    var verifierRequestCount: Int { requests.count { verifierPaths.contains($0.path) } }
}
