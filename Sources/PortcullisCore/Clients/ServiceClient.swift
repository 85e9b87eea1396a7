import Crypto
import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A service (a microservice, an API gateway) that may introspect tokens and read the revocation
/// feed, authenticating with HTTP Basic. Its secret is 256 random bits, stored as a SHA-256 hash.
public struct ServiceClient: Sendable, Hashable {
    /// The public id (`client_id`).
    public let id: String
    /// A human name.
    public let name: String
    /// SHA-256 of the secret.
    public let secretHash: [UInt8]
    /// When it was created.
    public let createdAt: Date

    /// Creates a client record.
    public init(id: String, name: String, secretHash: [UInt8], createdAt: Date) {
        self.id = id
        self.name = name
        self.secretHash = secretHash
        self.createdAt = createdAt
    }

    /// A new client and its secret, which is shown once and never stored.
    public static func create(name: String, now: Date) -> (client: ServiceClient, secret: String) {
        let secret = SecureRandom.token(byteCount: 32)
        let client = ServiceClient(id: "svc_" + SecureRandom.token(byteCount: 12), name: name, secretHash: hash(secret), createdAt: now)
        return (client, secret)
    }

    /// Whether `secret` is this client's, compared in constant time.
    public func accepts(secret: String) -> Bool {
        ConstantTime.equals(Self.hash(secret), secretHash)
    }

    private static func hash(_ secret: String) -> [UInt8] { Array(SHA256.hash(data: Array(secret.utf8))) }
}

/// Where service clients live.
public protocol ClientStore: Sendable {
    /// Stores a new client.
    func insertClient(_ client: ServiceClient) async throws
    /// The client with this id.
    func client(id: String) async throws -> ServiceClient?
}
