public import JWTKit

/// A key that checks signatures of one algorithm under one `kid`, wrapped in a jwt-kit key
/// collection that holds nothing else.
public struct VerificationKey: Sendable {
    /// The key id.
    public let kid: String
    /// The only algorithm this key accepts.
    public let algorithm: SigningAlgorithm
    let collection: JWTKeyCollection

    /// The verification half of a signing key.
    public init(_ key: SigningKey) async throws {
        self.kid = key.kid
        self.algorithm = key.algorithm
        self.collection = try await key.keyCollection()
    }
}
