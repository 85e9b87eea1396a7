import JWTKit

/// Signs access tokens with header `{alg, typ: "at+jwt", kid}` (RFC 9068).
public enum AccessTokenSigner {
    /// The compact JWS of `claims` signed with `key`.
    public static func sign(_ claims: AccessTokenClaims, with key: SigningKey) async throws -> String {
        let collection = try await key.keyCollection()
        var header = JWTHeader()
        header.typ = "at+jwt"
        header.alg = key.algorithm.rawValue
        return try await collection.sign(claims, kid: JWKIdentifier(string: key.kid), header: header)
    }
}
