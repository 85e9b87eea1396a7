import Logging
import PortcullisTokens
import Synchronization

/// The issuer's public keys, fetched from its JWKS and kept current.
///
/// Lookups are synchronous and lock-protected. A fetch happens when the set is due for refresh
/// (ahead of its `Cache-Control` lifetime) or when a token names an unknown `kid` — at most once per
/// ``VerifierConfiguration/unknownKeyRefetchInterval``, however many such tokens arrive, with
/// concurrent callers sharing the one fetch. A failed fetch, or one that yields no usable key,
/// keeps the last good set.
final class KeySetCache: Sendable {
    private struct State {
        var keys: [String: VerificationKey] = [:]
        var keySetURL: String?
        /// When the current set should be replaced.
        var refreshAt: ContinuousClock.Instant?
        /// When the last fetch started, for the unknown-`kid` rate limit.
        var lastFetchStarted: ContinuousClock.Instant?
        var inFlight: Task<Void, Never>?
    }

    /// How soon a failed fetch is retried while no key set has ever loaded.
    static let retryWithoutKeys: Duration = .seconds(1)

    private let state = Mutex(State())
    private let issuer: IssuerClient
    private let configuration: VerifierConfiguration
    private let metrics: VerifierMetrics
    private let logger: Logger

    init(issuer: IssuerClient, configuration: VerifierConfiguration, metrics: VerifierMetrics, logger: Logger) {
        self.issuer = issuer
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
        let pinned = Dictionary(configuration.pinnedKeys.map { ($0.kid, $0) }, uniquingKeysWith: { first, _ in first })
        state.withLock { $0.keys = pinned }
    }

    /// Whether the keys were given in advance (never fetched).
    var isPinned: Bool { !configuration.pinnedKeys.isEmpty }

    /// The key named `kid`, if the current set holds it.
    func key(_ kid: String) -> VerificationKey? {
        state.withLock { $0.keys[kid] }
    }

    /// Whether any key has been loaded.
    var isLoaded: Bool { state.withLock { !$0.keys.isEmpty } }

    /// The key named `kid`, re-fetching the set first if `kid` is unknown and the rate limit allows.
    func keyAfterRefetchIfUnknown(_ kid: String) async -> VerificationKey? {
        if let key = key(kid) { return key }
        guard !isPinned else { return nil }
        let now = ContinuousClock.now
        let task: Task<Void, Never>? = state.withLock { state in
            if let inFlight = state.inFlight { return inFlight }
            if let last = state.lastFetchStarted, now - last < configuration.unknownKeyRefetchInterval { return nil }
            return startFetch(&state, now: now)
        }
        guard let task else {
            metrics.unknownKeyRefetchSkipped()
            return nil
        }
        await task.value
        return key(kid)
    }

    /// Fetches the set now (sharing a fetch already in flight) and waits for it.
    func refresh() async {
        guard !isPinned else { return }
        let task = state.withLock { state in state.inFlight ?? startFetch(&state, now: .now) }
        await task.value
    }

    /// How long until the set should be refreshed; zero when it never loaded.
    func timeUntilRefresh() -> Duration {
        state.withLock { state in
            guard let refreshAt = state.refreshAt else { return .zero }
            return max(.zero, refreshAt - .now)
        }
    }

    private func startFetch(_ state: inout State, now: ContinuousClock.Instant) -> Task<Void, Never> {
        state.lastFetchStarted = now
        let url = state.keySetURL
        let task = Task { await self.fetch(knownURL: url) }
        state.inFlight = task
        return task
    }

    private func fetch(knownURL: String?) async {
        var result: (url: String, keys: [String: VerificationKey], lifetime: Duration)?
        do {
            let url: String
            if let knownURL { url = knownURL } else { url = try await issuer.discoverKeySetURL() }
            let (document, cacheControl) = try await issuer.fetchKeySet(from: url)
            let (keys, refused) = await VerificationKey.keySet(json: document)
            for (kid, reason) in refused.sorted(by: { $0.key < $1.key }) {
                logger.warning("key refused from the issuer's key set", metadata: ["kid": "\(kid)", "reason": "\(reason)"])
            }
            // An empty set (a proxy's error page, a broken deploy) must not replace working keys.
            if keys.isEmpty { throw IssuerClient.Failure.malformed(path: "jwks") }
            result = (url, keys, cacheControl.lifetime(within: configuration.keySetLifetime))
            metrics.keySetFetch(succeeded: true)
        } catch {
            metrics.keySetFetch(succeeded: false)
            logger.warning("key set fetch failed; keeping the last good set", metadata: ["error": "\(error)"])
        }
        state.withLock { state in
            state.inFlight = nil
            if let result {
                state.keys = result.keys
                state.keySetURL = result.url
                // Refresh ahead of expiry: at 80% of the lifetime the issuer allows.
                state.refreshAt = .now + result.lifetime * 0.8
            } else if state.keys.isEmpty {
                // Nothing to verify with yet (the issuer is starting, or was down when we did):
                // keep trying every second, so keys arrive soon after the issuer does.
                state.refreshAt = .now + Self.retryWithoutKeys
            } else {
                // The held set still works: try again soon, never faster than the unknown-kid limit.
                state.refreshAt = .now + max(configuration.unknownKeyRefetchInterval, configuration.keySetLifetime.lowerBound / 2)
            }
        }
    }
}
