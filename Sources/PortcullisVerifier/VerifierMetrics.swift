import Metrics

/// What the verifier reports through swift-metrics (Prometheus names once a backend is bootstrapped).
struct VerifierMetrics: Sendable {
    /// How a token verification ended, as the `result` dimension of `portcullis_verifier_tokens_total`.
    enum Outcome: String, CaseIterable {
        /// Accepted after a full verification.
        case verified
        /// Accepted from the verified-token cache.
        case cached
        /// Refused, for any reason.
        case refused
        /// Accepted while the revocation feed was stale (fail-open only).
        case acceptedWhileStale = "accepted_stale"
        /// Refused because the feed was stale (fail-closed).
        case refusedWhileStale = "refused_stale"
    }

    private let tokens: [Outcome: Counter] = Dictionary(
        uniqueKeysWithValues: Outcome.allCases.map {
            ($0, Counter(label: "portcullis_verifier_tokens_total", dimensions: [("result", $0.rawValue)]))
        }
    )
    private let keySetFetched = Counter(label: "portcullis_verifier_key_set_fetches_total", dimensions: [("outcome", "ok")])
    private let keySetFailed = Counter(label: "portcullis_verifier_key_set_fetches_total", dimensions: [("outcome", "failed")])
    private let refetchSkipped = Counter(label: "portcullis_verifier_unknown_kid_refetch_skipped_total")
    private let feedStale = Gauge(label: "portcullis_verifier_revocation_feed_stale")
    private let feedStreaming = Gauge(label: "portcullis_verifier_revocation_feed_streaming")
    private let revocationsHeld = Gauge(label: "portcullis_verifier_revocations_held")

    func count(_ outcome: Outcome) { tokens[outcome]?.increment() }

    func keySetFetch(succeeded: Bool) { (succeeded ? keySetFetched : keySetFailed).increment() }

    /// An unknown-`kid` token that did not cause a fetch because of the rate limit.
    func unknownKeyRefetchSkipped() { refetchSkipped.increment() }

    /// 1 while the revocation feed is stale, else 0.
    func feed(stale: Bool) { feedStale.record(stale ? 1 : 0) }

    /// 1 while the event stream is connected, else 0 (polling or unreachable).
    func feed(streaming: Bool) { feedStreaming.record(streaming ? 1 : 0) }

    /// Revocation entries held.
    func revocations(held: Int) { revocationsHeld.record(held) }
}
