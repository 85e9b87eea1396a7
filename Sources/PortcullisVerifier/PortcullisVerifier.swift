public import Logging
public import PortcullisTokens
public import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Verifies Portcullis access tokens offline, for any Swift service.
///
/// A token is checked by every rule of docs/security.md#access-token-verification (the same `AccessTokenVerifier` the server
/// uses), against the issuer's published keys, and against the revocation feed, with no request to
/// the issuer per token. Run it as a `Service` of the host application: while it runs it keeps the
/// key set fresh and follows the feed.
///
/// ```swift
/// let verifier = PortcullisVerifier(configuration: .init(
///     issuer: "https://auth.example.com", audiences: ["orders"],
///     client: .init(id: clientID, secret: clientSecret)))
/// let identity = try await verifier.verify(token)
/// ```
public final class PortcullisVerifier: Service, Sendable {
    /// The configuration in force.
    public let configuration: VerifierConfiguration
    private let rules: AccessTokenVerifier
    private let issuer: IssuerClient
    private let keys: KeySetCache
    private let feed: RevocationFeed?
    private let cache: VerifiedTokenCache
    private let metrics = VerifierMetrics()
    private let logger: Logger

    /// Creates a verifier; nothing is fetched until ``run()``.
    /// - Parameters:
    ///   - configuration: the issuer, audiences, credentials and policies.
    ///   - logger: where fetch failures and feed staleness are reported.
    public init(configuration: VerifierConfiguration, logger: Logger = Logger(label: "portcullis.verifier")) {
        self.configuration = configuration
        self.rules = AccessTokenVerifier(
            policy: .init(
                issuer: configuration.issuer,
                audiences: configuration.audiences,
                leeway: configuration.leeway,
                maximumLifetime: configuration.maximumTokenLifetime
            )
        )
        self.issuer = IssuerClient(configuration: configuration)
        self.keys = KeySetCache(issuer: issuer, configuration: configuration, metrics: metrics, logger: logger)
        self.feed = configuration.client == nil ? nil : RevocationFeed(issuer: issuer, configuration: configuration, metrics: metrics, logger: logger)
        self.cache = VerifiedTokenCache(capacity: configuration.cacheCapacity)
        self.logger = logger
    }

    /// The identity `token` speaks for, or why it is refused.
    ///
    /// A token seen before and still cached (and whose key is still published) costs a few
    /// lookups; otherwise it is parsed and checked,
    /// its key looked up (an unknown `kid` re-fetches the key set, rate-limited), its signature
    /// verified, and the result cached. Either way revocation and feed staleness are checked.
    public func verify(_ token: String) async throws(TokenRejection) -> VerifiedIdentity {
        let now = Date()
        if let cached = cache.entry(for: token, now: now) {
            // A key the issuer withdrew (an emergency rotation) ends its tokens, cached or not.
            if keys.key(cached.keyID) != nil {
                try checkRevocation(of: cached.identity, token: token, now: now)
                metrics.count(.cached)
                return cached.identity
            }
            cache.remove(token)
        }
        do throws(TokenRejection) {
            let candidate = try rules.inspect(token, now: now)
            let key = await keys.keyAfterRefetchIfUnknown(candidate.keyID)
            let identity = VerifiedIdentity(claims: try await rules.verifySignature(of: candidate, with: key), scopes: candidate.scopes)
            try checkRevocation(of: identity, token: token, now: now)
            cache.insert(token, identity: identity, keyID: candidate.keyID)
            metrics.count(.verified)
            return identity
        } catch {
            metrics.count(.refused)
            throw error
        }
    }

    /// Where the verifier stands with its issuer.
    public struct Status: Sendable, Hashable {
        /// Whether a key set has been loaded.
        public let hasKeys: Bool
        /// Whether revocations are followed (service-client credentials configured).
        public let followsRevocations: Bool
        /// How long since the revocation feed was last heard from; `nil` if never (or not followed).
        public let feedSilence: Duration?
        /// Whether the feed has been silent for longer than the staleness bound.
        public let isStale: Bool
    }

    /// The verifier's current standing, for readiness checks.
    public var status: Status {
        Status(hasKeys: keys.isLoaded, followsRevocations: feed != nil, feedSilence: feed?.silence(), isStale: feed?.isStale() ?? false)
    }

    /// How many verified tokens are cached.
    var cachedTokenCount: Int { cache.count }

    /// Fetches the key set, then keeps it fresh and follows the revocation feed until the task is
    /// cancelled or the service group shuts down gracefully.
    public func run() async throws {
        issuer.open()
        if feed == nil {
            logger.warning("no service-client credentials: revocations are not followed, tokens are trusted until they expire")
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { await self.keepKeysFresh() }
                if let feed = self.feed {
                    group.addTask { await feed.run() }
                    group.addTask { await self.watchFeed(feed) }
                }
                await group.waitForAll()
            }
        }
        await issuer.close()
    }

    private func checkRevocation(of identity: VerifiedIdentity, token: String, now: Date) throws(TokenRejection) {
        guard let feed else { return }
        if feed.revokes(identity) {
            cache.remove(token)
            throw .revoked
        }
        guard feed.isStale() else { return }
        switch configuration.whenStale {
        case .failClosed:
            // Only a token issued before the silence began can have a revocation we missed.
            guard now.timeIntervalSince(identity.issuedAt) <= configuration.stalenessBound.timeInterval else {
                metrics.count(.refusedWhileStale)
                throw .revocationUnknown
            }
        case .failOpen:
            metrics.count(.acceptedWhileStale)
        }
    }

    private func keepKeysFresh() async {
        while !Task.isCancelled && !keys.isPinned {
            await keys.refresh()
            try? await Task.sleep(for: keys.timeUntilRefresh())
        }
    }

    /// Reports the feed's staleness as it changes (one log line per change, and a gauge) and prunes
    /// entries that no longer matter.
    private func watchFeed(_ feed: RevocationFeed) async {
        var wasStale = false
        var lastPrune = ContinuousClock.now
        while !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(250))
            let stale = feed.isStale()
            if stale != wasStale {
                wasStale = stale
                metrics.feed(stale: stale)
                if stale {
                    let behaviour = configuration.whenStale == .failClosed ? "refusing tokens older than the bound" : "accepting tokens (fail open)"
                    logger.error(
                        "revocation feed stale: not heard from the issuer within the staleness bound; \(behaviour)",
                        metadata: [
                            "staleness_bound_seconds": "\(configuration.stalenessBound.components.seconds)"
                        ]
                    )
                } else {
                    logger.notice("revocation feed current again")
                }
            }
            if ContinuousClock.now - lastPrune > .seconds(60) {
                feed.prune(nowEpochSeconds: Int64(Date().timeIntervalSince1970))
                lastPrune = .now
            }
        }
    }
}

extension Duration {
    var timeInterval: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
