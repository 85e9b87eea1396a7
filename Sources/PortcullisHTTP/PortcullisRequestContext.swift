public import Hummingbird
public import NIOCore

/// The request context of the `portcullis` server: nothing but what Portcullis needs.
/// Applications that embed Portcullis use their own context instead (``PortcullisAuthRequestContext``).
public struct PortcullisRequestContext: PortcullisAuthRequestContext {
    public var coreContext: CoreRequestContextStorage
    /// The socket peer (before any proxy handling).
    public let remoteAddress: SocketAddress?
    public var clientAddress: String?
    public var session: AuthenticatedSession?
    public var bearer: BearerIdentity?

    /// Bodies over 64 KiB are refused with 413 (docs/security.md#throttling-and-limits).
    public var maxUploadSize: Int { RequestLimits.maximumBodyBytes }

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remoteAddress = source.channel.remoteAddress
        self.clientAddress = remoteAddress?.ipAddress
    }
}
