import Crypto
import PortcullisTokens

/// Random bytes from the system CSPRNG (via swift-crypto's `SymmetricKey`).
public enum SecureRandom {
    /// `count` bytes from the CSPRNG.
    public static func bytes(_ count: Int) -> [UInt8] {
        SymmetricKey(size: .init(bitCount: count * 8)).withUnsafeBytes { [UInt8]($0) }
    }

    /// A base64url string carrying `byteCount` random bytes.
    public static func token(byteCount: Int) -> String {
        Base64.encode(bytes(byteCount))
    }
}
