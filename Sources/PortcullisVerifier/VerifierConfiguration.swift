public import PortcullisTokens

/// What a ``PortcullisVerifier`` trusts and how it keeps up with the issuer.
public struct VerifierConfiguration: Sendable {
    /// What the verifier does while it cannot tell whether a token was revoked.
    public enum StalePolicy: Sendable, Hashable {
        /// Refuse tokens issued longer than ``VerifierConfiguration/stalenessBound`` ago: a
        /// revocation the verifier may have missed can only concern those. The default.
        case failClosed
        /// Accept tokens as if the feed were current, logging and counting each acceptance.
        case failOpen
    }

    /// A service client registered with `portcullis clients create`, used for the revocation feed.
    public struct ClientCredentials: Sendable {
        /// The client's id.
        public var id: String
        /// The client's secret.
        public var secret: String

        /// Creates credentials.
        public init(id: String, secret: String) {
            self.id = id
            self.secret = secret
        }
    }

    /// The issuer's URL, exactly as its tokens' `iss` say (for example `https://auth.example.com`).
    /// Its RFC 8414 metadata names the key set.
    public var issuer: String
    /// This service's audiences: a token's `aud` must include one of them.
    public var audiences: Set<String>
    /// Credentials for the revocation feed. Without them revocations are not followed and tokens
    /// are trusted until they expire (logged as a warning at start).
    public var client: ClientCredentials?
    /// Keys known in advance. When given, the key set is never fetched: rotation then means
    /// redeploying the service, so prefer discovery unless the service cannot reach the issuer.
    public var pinnedKeys: [VerificationKey] = []
    /// Clock skew tolerated on `exp`, `nbf` and `iat` (at most 60 s).
    public var leeway: Duration = .seconds(30)
    /// The longest `exp - iat` accepted.
    public var maximumTokenLifetime: Duration = .seconds(3600)
    /// A token naming an unknown `kid` re-fetches the key set at most once per this interval, so a
    /// flood of random `kid`s costs the issuer one request per interval, not one per token.
    public var unknownKeyRefetchInterval: Duration = .seconds(5)
    /// Bounds on how long a fetched key set is used before it is fetched again: the issuer's
    /// `Cache-Control: max-age` is clamped into this range, and the set is refreshed ahead of expiry.
    public var keySetLifetime: ClosedRange<Duration> = .seconds(10) ... .seconds(3600)
    /// How long the verifier may go without hearing from the revocation feed before ``whenStale``
    /// applies.
    public var stalenessBound: Duration = .seconds(30)
    /// What happens after ``stalenessBound``.
    public var whenStale: StalePolicy = .failClosed
    /// How often the feed is polled while the event stream is unavailable.
    public var pollInterval: Duration = .milliseconds(500)
    /// How long after losing the event stream the verifier tries it again (polling meanwhile).
    public var streamRetryDelay: Duration = .seconds(5)
    /// How many verified tokens are remembered, so a repeated token skips the signature check.
    public var cacheCapacity: Int = 50_000
    /// The bound on each request to the issuer (metadata, key set, one feed page).
    public var requestTimeout: Duration = .seconds(5)

    /// Creates a configuration with the defaults above.
    /// - Parameters:
    ///   - issuer: the issuer's URL, as in its tokens' `iss`.
    ///   - audiences: the audiences this service answers to.
    ///   - client: service-client credentials for the revocation feed.
    public init(issuer: String, audiences: Set<String>, client: ClientCredentials? = nil) {
        self.issuer = issuer
        self.audiences = audiences
        self.client = client
    }
}
