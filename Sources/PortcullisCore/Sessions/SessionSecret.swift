import Crypto
import PortcullisTokens

/// The secret value of a session cookie: 256 bits from the CSPRNG.
///
/// Only its SHA-256 ``hash`` is stored. A plain hash suffices (no salt, no slow hash): the input is
/// uniformly random, so there is nothing to guess. The CSRF token is derived from the secret with
/// HMAC, so it is bound to the session and needs no storage, yet reveals nothing about the secret.
public struct SessionSecret: Sendable, Hashable, CustomStringConvertible {
    /// The secret's bytes.
    public let bytes: [UInt8]

    /// The length of every issued secret, in bytes.
    public static let byteCount = 32

    /// A new random secret.
    public static func generate() -> SessionSecret {
        SessionSecret(bytes: SecureRandom.bytes(byteCount))
    }

    private init(bytes: [UInt8]) { self.bytes = bytes }

    /// Parses a cookie value; `nil` unless it is exactly what ``cookieValue`` produces.
    public init?(cookieValue: some StringProtocol) {
        guard cookieValue.utf8.count == 43, let bytes = Base64.decode(cookieValue), bytes.count == Self.byteCount else {
            return nil
        }
        self.bytes = bytes
    }

    /// The value carried by the cookie (43 base64url characters).
    public var cookieValue: String { Base64.encode(bytes) }

    /// The lookup key kept by the store.
    public var hash: [UInt8] { Array(SHA256.hash(data: bytes)) }

    /// The session's CSRF token: HMAC-SHA256 keyed by the secret.
    public var csrfToken: String {
        let mac = HMAC<SHA256>.authenticationCode(for: Array("portcullis.csrf.v1".utf8), using: SymmetricKey(data: bytes))
        return Base64.encode(Array(mac))
    }

    /// Whether `candidate` is this session's CSRF token, compared in constant time.
    public func acceptsCSRFToken(_ candidate: some StringProtocol) -> Bool {
        ConstantTime.equals(Array(candidate.utf8), Array(csrfToken.utf8))
    }

    /// Never prints the secret.
    public var description: String { "SessionSecret(redacted)" }
}
