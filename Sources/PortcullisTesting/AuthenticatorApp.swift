public import PortcullisCore

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What a person's authenticator app does in tests: it takes the Base32 secret Portcullis shows
/// at enrolment and produces the code of any moment.
public struct AuthenticatorApp: Sendable {
    private let key: AuthenticatorKey

    /// The app set up with `secret` (Base32, as `POST /v1/mfa/totp` answers it); `nil` if it is not Base32.
    public init?(secret: String) {
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        var bytes: [UInt8] = []
        var buffer = 0
        var bits = 0
        for character in secret.uppercased() where character != "=" {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            buffer = (buffer << 5) | value
            bits += 5
            if bits >= 8 {
                bytes.append(UInt8((buffer >> (bits - 8)) & 0xFF))
                bits -= 8
            }
        }
        key = AuthenticatorKey(bytes: bytes)
    }

    /// The code shown at `date`.
    public func code(at date: Date) -> String { key.code(step: AuthenticatorKey.step(at: date)) }
}
