#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A single-use token: a link sent by mail that verifies an email address or resets a password,
/// or the challenge that a sign-in's second step completes.
///
/// The link carries 256 random bits; the store keeps only their SHA-256 (``hash``), so a copy of
/// the database cannot be used to follow a link. A token is used at most once, atomically
/// (``StoreWrite/useOneTimeToken(hash:purpose:)``), and dies at ``expiresAt``.
public struct OneTimeToken: Sendable, Hashable {
    /// What a token is for.
    public enum Purpose: String, Sendable, Hashable {
        /// Proves the address ``OneTimeToken/email`` belongs to the account.
        case verifyEmail = "verify_email"
        /// Lets the account choose a new password.
        case resetPassword = "reset_password"
        /// Completes a password sign-in with a second factor (the `mfa_token`).
        case secondFactor = "second_factor"
        /// A passkey ceremony's challenge, stored only once spent (``StoreWrite/spendOneTimeToken(_:)``).
        case passkeyChallenge = "passkey_challenge"
    }

    /// SHA-256 of the secret in the link.
    public let hash: [UInt8]
    /// What it is for.
    public let purpose: Purpose
    /// The account.
    public let accountID: String
    /// The address the link was sent to.
    public let email: String
    /// When it was issued.
    public let createdAt: Date
    /// When it stops working.
    public let expiresAt: Date
    /// When it was used, if it was.
    public let usedAt: Date?
    /// For a ``Purpose/secondFactor`` challenge: whether the sign-in asked to be remembered.
    public let staySignedIn: Bool

    /// Creates a token record.
    public init(
        hash: [UInt8],
        purpose: Purpose,
        accountID: String,
        email: String,
        createdAt: Date,
        expiresAt: Date,
        usedAt: Date? = nil,
        staySignedIn: Bool = false
    ) {
        self.hash = hash
        self.purpose = purpose
        self.accountID = accountID
        self.email = email
        self.createdAt = createdAt
        self.expiresAt = expiresAt
        self.usedAt = usedAt
        self.staySignedIn = staySignedIn
    }

    /// The same token, marked used at `date` (or unused, with `nil`).
    public func used(at date: Date?) -> OneTimeToken {
        OneTimeToken(
            hash: hash,
            purpose: purpose,
            accountID: accountID,
            email: email,
            createdAt: createdAt,
            expiresAt: expiresAt,
            usedAt: date,
            staySignedIn: staySignedIn
        )
    }

    /// Whether it can still be used at `now`.
    public func isUsable(at now: Date) -> Bool { usedAt == nil && now < expiresAt }
}
