#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A passkey registered to an account: a WebAuthn credential whose private key never leaves
/// the person's authenticator.
public struct Passkey: Sendable, Hashable {
    /// The credential id, base64url (unique across accounts).
    public let id: String
    /// The account.
    public let accountID: String
    /// The name its owner gave it ("Laptop", "Phone").
    public let name: String
    /// The public key, as COSE CBOR bytes (``COSEKey``).
    public let publicKey: [UInt8]
    /// The last signature counter seen (zero for authenticators that do not count).
    public let signCount: UInt32
    /// Whether it may be synced to other devices (the BE flag at registration).
    public let isBackupEligible: Bool
    /// How the browser said the authenticator can be reached.
    public let transports: [String]
    /// When it was registered.
    public let createdAt: Date
    /// When it last signed someone in.
    public let lastUsedAt: Date?

    /// Creates a record.
    public init(
        id: String,
        accountID: String,
        name: String,
        publicKey: [UInt8],
        signCount: UInt32,
        isBackupEligible: Bool,
        transports: [String],
        createdAt: Date,
        lastUsedAt: Date? = nil
    ) {
        self.id = id
        self.accountID = accountID
        self.name = name
        self.publicKey = publicKey
        self.signCount = signCount
        self.isBackupEligible = isBackupEligible
        self.transports = transports
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }

    /// The same passkey after an assertion with counter `signCount` at `date`.
    public func used(signCount: UInt32, at date: Date) -> Passkey {
        Passkey(
            id: id,
            accountID: accountID,
            name: name,
            publicKey: publicKey,
            signCount: signCount,
            isBackupEligible: isBackupEligible,
            transports: transports,
            createdAt: createdAt,
            lastUsedAt: date
        )
    }

    /// The same passkey under another name.
    public func renamed(_ name: String) -> Passkey {
        Passkey(
            id: id,
            accountID: accountID,
            name: name,
            publicKey: publicKey,
            signCount: signCount,
            isBackupEligible: isBackupEligible,
            transports: transports,
            createdAt: createdAt,
            lastUsedAt: lastUsedAt
        )
    }

    /// The longest name kept.
    public static let maximumNameLength = 64

    /// A name as given: without control, format (bidirectional overrides) or separator
    /// characters, cut to ``maximumNameLength`` Unicode scalars (so combining marks cannot make
    /// it long) and trimmed; "Passkey" when nothing visible is left.
    public static func name(_ given: String?) -> String {
        var scalars = String.UnicodeScalarView()
        scalars.append(
            contentsOf: (given ?? "").unicodeScalars.filter { scalar in
                switch scalar.properties.generalCategory {
                case .control, .lineSeparator, .paragraphSeparator: false
                case .format: scalar == "\u{200D}"  // the joiner inside emoji sequences
                default: true
                }
            }
        )
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: trimmed(String(scalars)).unicodeScalars.prefix(maximumNameLength))
        let name = trimmed(String(kept))
        let isVisible = name.unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .format, .nonspacingMark, .enclosingMark, .spacingMark, .spaceSeparator: false
            default: true
            }
        }
        return isVisible ? name : "Passkey"
    }

    private static func trimmed(_ text: String) -> String {
        String(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
