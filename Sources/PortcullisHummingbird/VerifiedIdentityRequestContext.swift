public import Hummingbird
public import PortcullisVerifier

/// A request context that carries the identity a verified access token speaks for. Conform your
/// application's context to it to put ``BearerAuthenticator`` in front of your routes.
public protocol VerifiedIdentityRequestContext: RequestContext {
    /// Set by ``BearerAuthenticator`` when the request's bearer token verifies; `nil` otherwise.
    var identity: VerifiedIdentity? { get set }
}

/// A ready-made context for applications that need nothing else per request.
public struct BearerRequestContext: VerifiedIdentityRequestContext {
    /// Hummingbird's own per-request storage.
    public var coreContext: CoreRequestContextStorage
    /// The caller, once ``BearerAuthenticator`` has verified its token.
    public var identity: VerifiedIdentity?

    /// Creates the context for one request.
    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
    }
}
