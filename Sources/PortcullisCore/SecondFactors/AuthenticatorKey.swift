import Crypto

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The shared key of a TOTP authenticator (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps),
/// and the codes it yields.
///
/// The key is 20 random bytes (160 bits, RFC 4226's recommendation), given to the authenticator
/// app in Base32. The code is RFC 4226's dynamic truncation of an HMAC-SHA-1, computed here with
/// swift-crypto rather than with hummingbird-auth's `HummingbirdOTP`: that module would make the
/// domain layer depend on the HTTP framework, and it takes the key as a string whose UTF-8 bytes
/// are the key, which random bytes are not. The tests check the codes against RFC 6238's vectors,
/// against `HummingbirdOTP` and against `pyotp`.
public struct AuthenticatorKey: Sendable {
    /// The key.
    let bytes: [UInt8]

    /// Seconds per step.
    public static let period: Int64 = 30
    /// How many steps before and after the current one a code is accepted for (clock drift).
    public static let skew: Int64 = 1

    /// A key of the given bytes (RFC 6238's test vectors use ASCII keys).
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A new random key.
    public static func generate() -> AuthenticatorKey {
        AuthenticatorKey(bytes: SecureRandom.bytes(20))
    }

    /// The key as its bytes sealed at rest, bound to the account.
    public func seal(with encryption: KeyEncryptionKey, accountID: String) throws -> [UInt8] {
        try encryption.seal(bytes, context: Self.sealContext(accountID))
    }

    /// Opens a key ``seal(with:accountID:)`` sealed.
    public static func open(_ sealed: [UInt8], with encryption: KeyEncryptionKey, accountID: String) throws -> AuthenticatorKey {
        AuthenticatorKey(bytes: try encryption.open(sealed, context: sealContext(accountID)))
    }

    private static func sealContext(_ accountID: String) -> String { "portcullis.totp.\(accountID)" }

    /// The key in Base32 (RFC 4648, no padding), as people type it into an authenticator app.
    public var base32: String { Base32.encode(bytes) }

    /// The `otpauth://` URI that authenticator apps read from a QR code.
    /// - Parameters:
    ///   - issuer: who the code is for, shown by the app (the site's host).
    ///   - account: the account's address, shown under it.
    public func provisioningURI(issuer: String, account: String) -> String {
        let label = Self.percentEncoded(issuer) + ":" + Self.percentEncoded(account)
        return "otpauth://totp/\(label)?secret=\(base32)&issuer=\(Self.percentEncoded(issuer))&algorithm=SHA1&digits=6&period=\(Self.period)"
    }

    /// `text` with every byte but RFC 3986's unreserved characters (and `@`) percent-encoded.
    private static func percentEncoded(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80, character.isLetter || character.isNumber || "-._~@".contains(character) {
                encoded.append(character)
            } else {
                let hex = String(byte, radix: 16, uppercase: true)
                encoded += "%" + (hex.count == 1 ? "0" : "") + hex
            }
        }
        return encoded
    }

    /// The time step `date` falls in.
    public static func step(at date: Date) -> Int64 { Int64((date.timeIntervalSince1970 / Double(period)).rounded(.down)) }

    /// The six-digit code of `step`.
    public func code(step: Int64) -> String {
        let mac = Array(
            HMAC<Insecure.SHA1>.authenticationCode(for: withUnsafeBytes(of: UInt64(step).bigEndian, Array.init), using: SymmetricKey(data: bytes))
        )
        let offset = Int(mac[mac.count - 1] & 0x0F)
        let truncated =
            (UInt32(mac[offset] & 0x7F) << 24) | (UInt32(mac[offset + 1]) << 16) | (UInt32(mac[offset + 2]) << 8) | UInt32(mac[offset + 3])
        let digits = String(truncated % 1_000_000)
        return String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The step whose code `code` is, among the current step and ``skew`` steps either side of
    /// `now`, comparing in constant time; `nil` if none.
    public func step(matching code: String, at now: Date) -> Int64? {
        let presented = Array(code.utf8.filter { $0 != UInt8(ascii: " ") })
        guard presented.count == 6, presented.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) else { return nil }
        let current = Self.step(at: now)
        var matched: Int64?
        for step in (current - Self.skew)...(current + Self.skew) where ConstantTime.equals(Array(self.code(step: step).utf8), presented) {
            matched = max(matched ?? step, step)
        }
        return matched
    }
}

/// RFC 4648 Base32, the alphabet authenticator apps take keys in.
enum Base32 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".utf8)

    /// `bytes` in Base32, without padding.
    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        var buffer = 0
        var bits = 0
        for byte in bytes {
            buffer = (buffer << 8) | Int(byte)
            bits += 8
            while bits >= 5 {
                output.append(alphabet[(buffer >> (bits - 5)) & 31])
                bits -= 5
            }
        }
        if bits > 0 { output.append(alphabet[(buffer << (5 - bits)) & 31]) }
        return String(decoding: output, as: UTF8.self)
    }
}
