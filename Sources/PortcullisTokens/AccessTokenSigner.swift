#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Signs access tokens with header `{alg, kid, typ: "at+jwt"}` (RFC 9068), with the key's
/// parsed private key and swift-crypto: no key is rebuilt per token.
public enum AccessTokenSigner {
    /// The compact JWS of `claims` signed with `key`.
    public static func sign(_ claims: AccessTokenClaims, with key: SigningKey) async throws -> String {
        var signingInput = Array(key.headerSegment.utf8)
        signingInput.append(UInt8(ascii: "."))
        signingInput.append(contentsOf: Base64.encode(try encoder.encode(claims)).utf8)
        let signature = try key.signature(for: signingInput)
        return String(decoding: signingInput, as: UTF8.self) + "." + Base64.encode(signature)
    }

    /// JSON without escaped slashes: `"iss":"https://…"` instead of `"https:\/\/…"`, fewer bytes per token.
    private static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .withoutEscapingSlashes
        return encoder
    }
}
