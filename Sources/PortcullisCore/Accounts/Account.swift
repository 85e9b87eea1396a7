#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// A person (or robot) that can sign in.
public struct Account: Sendable, Hashable, Codable {
    /// The stable public identifier (a lowercase UUID). Tokens carry it as `sub`.
    public let id: String
    /// The normalized email address (see ``EmailAddress``).
    public let email: String
    /// Roles such as `admin`, sorted and without duplicates.
    public var roles: [String]
    /// When the account was created.
    public let createdAt: Date
    /// When the account was disabled; a disabled account cannot authenticate in any way.
    public var disabledAt: Date?
    /// When the owner proved the email address is theirs (a verification link, or a password
    /// reset, which also arrives by mail).
    public var emailVerifiedAt: Date?

    /// Creates an account value.
    public init(
        id: String = UUID().uuidString.lowercased(),
        email: String,
        roles: [String] = [],
        createdAt: Date,
        disabledAt: Date? = nil,
        emailVerifiedAt: Date? = nil
    ) {
        self.id = id
        self.email = email
        self.roles = Array(Set(roles)).sorted()
        self.createdAt = createdAt
        self.disabledAt = disabledAt
        self.emailVerifiedAt = emailVerifiedAt
    }

    /// Whether the account may authenticate.
    public var isDisabled: Bool { disabledAt != nil }

    /// Whether the email address has been proven.
    public var isEmailVerified: Bool { emailVerifiedAt != nil }
}
