/// The site passkeys are created for (WebAuthn's relying party): its id, the host the public URL
/// names, and the one origin whose pages may use them.
public struct RelyingParty: Sendable, Hashable {
    /// The relying-party id: a host name (`auth.example.com`), never an IP address.
    public let id: String
    /// The origin browsers report in their client data (`https://auth.example.com`).
    public let origin: String
    /// The name authenticators show beside the passkey.
    public let name: String

    /// Creates the relying party; `origin` is a normalised origin (scheme, host, optional port).
    public init(id: String, origin: String, name: String) {
        self.id = id
        self.origin = origin
        self.name = name
    }
}
