public import Hummingbird
import Logging
import NIOCore
public import PortcullisCore
public import PortcullisTokens

/// The per-request state of the Portcullis application.
public struct PortcullisRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer's address (before any proxy handling).
    public let peerAddress: String?
    /// The client's address, set by ``ClientAddressMiddleware`` from the peer and trusted proxies.
    public var clientAddress: String?
    /// The session the request's cookie proves, set by ``SessionCookieMiddleware``.
    public var session: AuthenticatedSession?
    /// The access token the request's `Authorization: Bearer` header proves, set by ``BearerTokenMiddleware``.
    public var bearer: BearerIdentity?

    /// Bodies over 64 KiB are refused with 413 (docs/security.md#throttling-and-limits).
    public var maxUploadSize: Int { 64 * 1024 }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerAddress = source.channel.remoteAddress?.ipAddress
        self.clientAddress = peerAddress
    }
}

/// A request authenticated by the session cookie.
public struct AuthenticatedSession: Sendable {
    /// The session and its account.
    public let validated: SessionManager.Validated
    /// The cookie's secret, kept to check the CSRF token.
    public let secret: SessionSecret

    /// The signed-in account.
    public var account: Account { validated.account }
    /// The session.
    public var session: Session { validated.session }
}

/// A request authenticated by an access token.
public struct BearerIdentity: Sendable {
    /// The token's verified claims.
    public let claims: AccessTokenClaims
    /// The account it was issued to (enabled, as of this request).
    public let account: Account
}
