import Crypto
import PortcullisTokens

/// Proof Key for Code Exchange (RFC 7636), `S256` only: OAuth 2.1 requires PKCE for every
/// client, and `plain` proves nothing to a server an attacker can watch the redirect of.
///
/// The client makes a random `code_verifier`, sends `code_challenge` =
/// BASE64URL(SHA-256(verifier)) with the authorization request, and the verifier itself with
/// the code. Whoever intercepted the code lacks the verifier.
public struct ProofKey: Sendable, Hashable {
    /// The `code_challenge`: 43 base64url characters, the unpadded SHA-256 of the verifier.
    public let challenge: String

    /// Why an authorization request's PKCE parameters are refused.
    public enum Refusal: Error, Sendable, Hashable {
        /// No `code_challenge`.
        case missingChallenge
        /// A method other than `S256` (`plain` included), or none.
        case unsupportedMethod
        /// A challenge that is not 43 base64url characters.
        case malformedChallenge
    }

    /// The challenge of an authorization request, checked: `code_challenge_method` must be
    /// `S256` (RFC 7636 would default a missing method to `plain`, which is refused).
    public init(challenge: String?, method: String?) throws(Refusal) {
        guard let challenge, !challenge.isEmpty else { throw .missingChallenge }
        guard method == "S256" else { throw .unsupportedMethod }
        guard challenge.utf8.count == 43, let bytes = Base64.decode(challenge), bytes.count == 32 else { throw .malformedChallenge }
        self.challenge = challenge
    }

    /// The challenge of `verifier`, for clients (and tests) that make one.
    public init(verifier: String) {
        challenge = Base64.encode(Array(SHA256.hash(data: Array(verifier.utf8))))
    }

    /// Whether `verifier` is the one this challenge was made from. A verifier is 43 to 128
    /// characters of `A–Z a–z 0–9 - . _ ~` (RFC 7636 §4.1); anything else fails. The hashes are
    /// compared in constant time.
    public func isProved(by verifier: String) -> Bool {
        guard (43...128).contains(verifier.utf8.count), verifier.utf8.allSatisfy(Self.isUnreserved) else { return false }
        return ConstantTime.equals(Array(ProofKey(verifier: verifier).challenge.utf8), Array(challenge.utf8))
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
        case UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"): true
        default: false
        }
    }
}
