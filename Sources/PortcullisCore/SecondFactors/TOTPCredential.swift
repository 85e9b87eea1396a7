#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// An account's authenticator-app key, as stored.
///
/// The key is sealed with the key-encryption key (``KeyEncryptionKey``), like the signing keys:
/// a copy of the database alone cannot compute codes. A credential is pending from enrolment
/// until a first valid code confirms it; only a confirmed one is asked for at sign-in.
public struct TOTPCredential: Sendable, Hashable {
    /// The account.
    public let accountID: String
    /// The sealed key (see ``AuthenticatorKey/seal(with:accountID:)``).
    public let sealedKey: [UInt8]
    /// When enrolment began.
    public let createdAt: Date
    /// When a first code confirmed it; `nil` while pending.
    public let confirmedAt: Date?
    /// The last time step a code was accepted for: a code of this step or an earlier one is
    /// refused, so a code works once.
    public let lastUsedStep: Int64?

    /// Creates a record.
    public init(accountID: String, sealedKey: [UInt8], createdAt: Date, confirmedAt: Date? = nil, lastUsedStep: Int64? = nil) {
        self.accountID = accountID
        self.sealedKey = sealedKey
        self.createdAt = createdAt
        self.confirmedAt = confirmedAt
        self.lastUsedStep = lastUsedStep
    }

    /// Whether sign-in asks for a code.
    public var isConfirmed: Bool { confirmedAt != nil }
}
