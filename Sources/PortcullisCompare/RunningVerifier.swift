import Logging
import PortcullisCore
import PortcullisHTTP
import PortcullisVerifier

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Experiments {
    /// Runs `body` with a ``PortcullisVerifier`` of `instance`'s tokens, as another service would
    /// run one: its keys loaded, and with `followingFeed` a service client of its own reading the
    /// revocation feed; `cacheCapacity` 0 verifies every token afresh. `body` also gets how long
    /// the verifier took from its creation to being ready (polled every 0.1 ms). The verifier
    /// stops afterwards.
    func withVerifier<Result: Sendable>(
        of instance: ThrowawayInstance,
        followingFeed: Bool,
        cacheCapacity: Int? = nil,
        _ body: (PortcullisVerifier, _ readyAfter: Duration) async throws -> Result
    ) async throws -> Result {
        var configuration = VerifierConfiguration(issuer: instance.url, audiences: Set(instance.services.configuration.audiences))
        if let cacheCapacity { configuration.cacheCapacity = cacheCapacity }
        if followingFeed {
            let (client, secret) = ServiceClient.create(name: "compare", now: Date(epochSeconds: Date().epochSeconds))
            try await instance.services.store.insertClient(client)
            configuration.client = .init(id: client.id, secret: secret)
        }
        let created = ContinuousClock.now
        let verifier = PortcullisVerifier(configuration: configuration, logger: Logger(label: "compare", factory: { _ in SwiftLogNoOpLogHandler() }))
        let running = Task { try await verifier.run() }
        defer { running.cancel() }
        let deadline = ContinuousClock.now + .seconds(10)
        while !(verifier.status.hasKeys && (!followingFeed || verifier.status.feedSilence != nil)) {
            guard ContinuousClock.now < deadline else { throw ExperimentFailure("the verifier did not load the keys and the feed within 10 s") }
            try await Task.sleep(for: .microseconds(100))
        }
        let result = try await body(verifier, ContinuousClock.now - created)
        running.cancel()
        _ = try? await running.value
        return result
    }
}
