public import PortcullisTokens

/// How access and refresh tokens are issued (docs/design.md#the-key-ring-and-token-policy).
public struct TokenPolicy: Sendable, Hashable {
    /// `iss` of every token.
    public var issuer: String
    /// The audiences tokens may carry; the first is the default and Portcullis's own API.
    public var audiences: [String]
    /// The algorithm of new keys.
    public var signingAlgorithm: SigningAlgorithm
    /// Access token lifetime.
    public var accessLifetime: Duration
    /// Refresh family idle lifetime.
    public var refreshIdle: Duration
    /// Refresh family absolute lifetime.
    public var refreshAbsolute: Duration
    /// How long a rotated refresh token may be presented again.
    public var refreshGrace: Duration
    /// How long a new key is published before it signs.
    public var keyPublishAhead: Duration
    /// The `client_id` of tokens issued to Portcullis's first-party clients.
    public var firstPartyClientID: String
    /// Whether tokens are issued only to accounts whose email address is confirmed
    /// (`--require-verified-email`): then no grant gives an unconfirmed account a token.
    public var requireVerifiedEmail: Bool

    /// The contract's defaults for `issuer`.
    public init(
        issuer: String,
        audiences: [String] = ["api"],
        signingAlgorithm: SigningAlgorithm = .eddsa,
        accessLifetime: Duration = .seconds(300),
        refreshIdle: Duration = .seconds(14 * 86400),
        refreshAbsolute: Duration = .seconds(90 * 86400),
        refreshGrace: Duration = .seconds(10),
        keyPublishAhead: Duration = .seconds(60),
        firstPartyClientID: String = "portcullis",
        requireVerifiedEmail: Bool = false
    ) {
        self.issuer = issuer
        self.audiences = audiences
        self.signingAlgorithm = signingAlgorithm
        self.accessLifetime = accessLifetime
        self.refreshIdle = refreshIdle
        self.refreshAbsolute = refreshAbsolute
        self.refreshGrace = refreshGrace
        self.keyPublishAhead = keyPublishAhead
        self.firstPartyClientID = firstPartyClientID
        self.requireVerifiedEmail = requireVerifiedEmail
    }

    /// The audience Portcullis's own endpoints accept.
    public var ownAudience: String { audiences.first ?? "api" }

    /// Clock skew tolerated when verifying.
    public static let leeway: Duration = .seconds(30)

    /// The most clock skew any verifier may allow (the verifier library caps its leeway here).
    public static let maximumVerifierLeeway: Duration = .seconds(60)

    /// How long a revocation entry matters: after this, every token it could affect has expired,
    /// even at the most lenient verifier.
    public var revocationHorizon: Duration { accessLifetime + Self.maximumVerifierLeeway }
}
