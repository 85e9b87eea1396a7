#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Ends access and publishes the end in one transaction.
///
/// Deleting a session and appending its revocation in two writes would let a crash between them
/// lose the revocation, and a "sign out everywhere" cost one write per session. Every path that
/// ends a session, a refresh family or all of an account's access goes through here instead.
public protocol AccessStore: Sendable {
    /// Ends what `scope` names and appends its revocation entry (stamped `stamp`), atomically; for
    /// an account, applies `change` to it in the same transaction (a disable or a role change that
    /// must not take effect without its sign-out, nor the reverse).
    ///
    /// A session or family that does not exist (or is not `owner`'s) ends nothing and publishes
    /// nothing. For an account, every session and family it ends gets a `session` entry, so a
    /// token minted from one of them while this ran is refused whatever its `iat`; and a `user`
    /// entry is always appended, since access tokens may be alive.
    func endAccess(_ scope: AccessScope, applying change: AccountChange?, stamp: RevocationStamp) async throws -> EndedAccess
}

/// What ending access covers.
public enum AccessScope: Sendable, Hashable {
    /// One browser session (logout, signing a device out); `owner` limits it to that account's own.
    case session(id: String, owner: String?)
    /// One refresh family (an app signed in with tokens); `owner` limits it to that account's own.
    case refreshFamily(id: String, owner: String?)
    /// Everything of the account: its sessions, its refresh families (each published), and every
    /// access token issued to it so far (a `user` entry).
    case account(id: String)
}

/// When a revocation happens and until when its entry matters.
public struct RevocationStamp: Sendable, Hashable {
    /// When access ended (whole seconds, as the feed carries it).
    public let revokedAt: Date
    /// When the longest-lived token the entry can refuse has expired, verifier leeway included.
    public let expiresAt: Date

    /// Creates a stamp.
    public init(revokedAt: Date, expiresAt: Date) {
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }

    /// The entry for `id` of `kind`, stamped with this time.
    public func entry(_ kind: Revocation.Kind, id: String) -> Revocation {
        Revocation(kind: kind, id: id, revokedAt: revokedAt, expiresAt: expiresAt)
    }
}

/// What ``AccessStore/endAccess(_:applying:stamp:)`` ended.
public struct EndedAccess: Sendable {
    /// The sessions deleted.
    public let sessionIDs: [String]
    /// The refresh families revoked.
    public let familyIDs: [String]
    /// For an account scope: the account after the change, or `nil` if there is none.
    public let account: Account?
    /// The entry appended (or already held), if any was due.
    public let revocation: Revocation?

    /// Creates the result.
    public init(sessionIDs: [String], familyIDs: [String], account: Account?, revocation: Revocation?) {
        self.sessionIDs = sessionIDs
        self.familyIDs = familyIDs
        self.account = account
        self.revocation = revocation
    }

    /// Whether anything ended.
    public var endedAnything: Bool { !sessionIDs.isEmpty || !familyIDs.isEmpty || account != nil }
}

extension EndedAccess {
    /// Nothing ended, nothing published.
    public static let nothing = EndedAccess(sessionIDs: [], familyIDs: [], account: nil, revocation: nil)
}
