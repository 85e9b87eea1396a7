import Crypto
import PortcullisTokens

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The challenges of passkey ceremonies: random, short-lived, bound to what asked for them, and
/// single-use.
///
/// A challenge carries 128 random bits, its expiry, and an HMAC (under a key derived from the key
/// file) over both, its purpose and its binding: the account and session of a registration, the
/// `mfa_token` of a second step. Issuing one writes nothing, so asking for sign-in options costs
/// no storage however often it is asked; one issued to another session, for another purpose or
/// by another key file does not verify. It is made single-use when a ceremony succeeds: its hash
/// is stored as a spent one-time token in the ceremony's transaction
/// (``StoreWrite/spendOneTimeToken(_:)``), so a replayed assertion fails even on another instance.
struct PasskeyChallenge {
    /// What a challenge may be used for.
    enum Purpose: UInt8 {
        case registration = 1
        case signIn = 2
    }

    /// How long a ceremony may take: the options' timeout.
    static let lifetime: Duration = .seconds(300)

    let key: SymmetricKey

    init(encryption: KeyEncryptionKey) {
        key = encryption.derivedKey(purpose: "passkey-challenges")
    }

    /// A new challenge: nonce (16 bytes), expiry (8, big-endian seconds), tag (16).
    func issue(for purpose: Purpose, binding: String, now: Date) -> [UInt8] {
        let expiry = UInt64(now.epochSeconds) + UInt64(Self.lifetime.components.seconds)
        let body = SecureRandom.bytes(16) + (0..<8).map { UInt8(truncatingIfNeeded: expiry >> (56 - 8 * UInt64($0))) }
        return body + tag(body, purpose: purpose, binding: binding)
    }

    /// When `challenge` expires, if it is one of ours for `purpose` and `binding` and unexpired at
    /// `now`; `nil` otherwise.
    func expiry(of challenge: [UInt8], for purpose: Purpose, binding: String, now: Date) -> Date? {
        guard challenge.count == 40 else { return nil }
        let body = Array(challenge[0..<24])
        guard ConstantTime.equals(Array(challenge[24...]), tag(body, purpose: purpose, binding: binding)) else { return nil }
        let expiry = body[16..<24].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        guard expiry <= UInt64(Int64.max), Int64(expiry) > now.epochSeconds else { return nil }
        return Date(epochSeconds: Int64(expiry))
    }

    /// The hash stored when the challenge is spent.
    static func spentHash(_ challenge: [UInt8]) -> [UInt8] {
        Array(SHA256.hash(data: [0x70, 0x6B] + challenge))
    }

    private func tag(_ body: [UInt8], purpose: Purpose, binding: String) -> [UInt8] {
        let bound = Array(binding.utf8)
        let length = UInt32(bound.count)
        let message = [purpose.rawValue] + (0..<4).map { UInt8(truncatingIfNeeded: length >> (24 - 8 * UInt32($0))) } + bound + body
        return Array(HMAC<SHA256>.authenticationCode(for: message, using: key).prefix(16))
    }
}
