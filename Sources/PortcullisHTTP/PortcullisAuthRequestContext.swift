public import Hummingbird
public import PortcullisCore
public import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What Portcullis's middleware and routes need from a request context.
///
/// Conform your application's own context to it to embed Portcullis (docs/design.md#embedding-portcullis):
/// three stored properties, plus Hummingbird's `remoteAddress`. ``PortcullisRequestContext`` is the
/// ready-made one the `portcullis` server uses.
///
/// ```swift
/// struct AppContext: PortcullisAuthRequestContext {
///     var coreContext: CoreRequestContextStorage
///     let remoteAddress: SocketAddress?
///     var clientAddress: String?
///     var session: AuthenticatedSession?
///     var bearer: BearerIdentity?
///     // …the application's own per-request state
///
///     init(source: ApplicationRequestContextSource) {
///         coreContext = .init(source: source)
///         remoteAddress = source.channel.remoteAddress
///     }
/// }
/// ```
public protocol PortcullisAuthRequestContext: RemoteAddressRequestContext {
    /// The client's address: set by ``ClientAddressMiddleware`` from the socket peer and the
    /// trusted proxies' `X-Forwarded-For`. Throttles and session records use it.
    var clientAddress: String? { get set }
    /// The session the request's cookie proves: set by ``SessionCookieMiddleware``. Read it with
    /// ``requireSession()``, which also refuses an unsafe request whose CSRF token was not matched
    /// by ``CSRFMiddleware``.
    var session: AuthenticatedSession? { get set }
    /// The access token the request's `Authorization: Bearer` header proves: set by
    /// ``BearerTokenMiddleware``.
    var bearer: BearerIdentity? { get set }
}

extension PortcullisAuthRequestContext {
    /// The request's session, or a 401 problem; a 403 problem when the request is unsafe and its
    /// CSRF token was not matched (docs/security.md#csrf). Route groups whose handlers act on the
    /// session's behalf put ``CSRFMiddleware`` in front of them.
    public func requireSession() throws -> AuthenticatedSession {
        guard let session else { throw Problem.unauthenticated }
        guard session.passesCSRFCheck else { throw Problem.csrfTokenRequired }
        return session
    }

    /// The caller by bearer token or, failing that, by session cookie (as ``requireSession()``),
    /// or a 401 problem. Bearer requests need no CSRF token: a browser never adds the header by itself.
    public func requireCaller() throws -> Caller {
        if let bearer { return .bearer(bearer) }
        return .session(try requireSession())
    }
}

/// A request authenticated by the session cookie.
public struct AuthenticatedSession: Sendable {
    /// The session and its account.
    public let validated: SessionManager.Validated
    /// The cookie's secret, kept to check the CSRF token.
    public let secret: SessionSecret
    /// Whether the request may act for the session: `true` for safe methods (GET, HEAD, OPTIONS),
    /// which must not change anything, and for unsafe ones once ``CSRFMiddleware`` has matched the
    /// session's CSRF token.
    public internal(set) var passesCSRFCheck: Bool

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

/// Who is calling: a browser session or a bearer token.
public enum Caller: Sendable {
    /// A browser, by its session cookie.
    case session(AuthenticatedSession)
    /// A program, by its access token.
    case bearer(BearerIdentity)

    /// The caller's account.
    public var account: Account {
        switch self {
        case .session(let current): current.account
        case .bearer(let bearer): bearer.account
        }
    }

    /// The session id, or the token's `sid`.
    public var sessionID: String {
        switch self {
        case .session(let current): current.session.id
        case .bearer(let bearer): bearer.claims.sessionID
        }
    }

    /// When the caller's sign-in happened: the session's start, or the token's `auth_time` (`nil`
    /// for a token without one).
    public var signedInAt: Date? {
        switch self {
        case .session(let current): current.session.createdAt
        case .bearer(let bearer): bearer.claims.authTime.map { Date(timeIntervalSince1970: TimeInterval($0)) }
        }
    }

    /// Whether the caller came with the session cookie.
    public var isCookie: Bool { if case .session = self { true } else { false } }
}
