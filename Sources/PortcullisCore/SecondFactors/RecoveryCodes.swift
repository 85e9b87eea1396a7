import Crypto

/// The single-use codes that stand in for the authenticator app when it is lost.
///
/// Ten codes of ten Base32 letters (50 bits each), shown once, grouped `xxxxx-xxxxx`. The store
/// keeps only an HMAC-SHA-256 of each under a key derived from the key-encryption key, so
/// neither a copy of the database nor a search through every possible code against it reveals one.
public struct RecoveryCodes: Sendable {
    private let key: SymmetricKey

    /// How many codes a set holds.
    public static let count = 10

    /// The hashing side, keyed from `encryption`.
    public init(encryption: KeyEncryptionKey) {
        key = encryption.derivedKey(purpose: "recovery-codes")
    }

    /// A new set of codes, as shown to the person.
    public static func generate() -> [String] {
        (0..<count).map { _ in
            let letters = Base32.encode(SecureRandom.bytes(7)).lowercased().prefix(10)
            return "\(letters.prefix(5))-\(letters.suffix(5))"
        }
    }

    /// What the store keeps for `code`, or `nil` if it cannot be a code. Case, spaces and dashes
    /// do not matter.
    public func hash(_ code: String) -> [UInt8]? {
        let letters = code.lowercased().filter { $0 != "-" && $0 != " " }
        guard letters.count == 10, letters.allSatisfy({ Self.letters.contains($0) }) else { return nil }
        return Array(HMAC<SHA256>.authenticationCode(for: Array(letters.utf8), using: key))
    }

    private static let letters = Set("abcdefghijklmnopqrstuvwxyz234567")
}
