#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// What ending access covers.
public enum AccessScope: Sendable, Hashable {
    /// One browser session (logout, signing a device out); `owner` limits it to that account's own.
    case session(id: String, owner: String?)
    /// One refresh family (an app signed in with tokens); `owner` limits it to that account's own.
    case refreshFamily(id: String, owner: String?)
    /// Everything of the account but `keepingSession` (the session changing its password): its
    /// sessions, its refresh families (each published), and every access token issued to it so far
    /// (a `user` entry).
    case account(id: String, keepingSession: String?)

    /// Everything of the account.
    public static func account(id: String) -> AccessScope { .account(id: id, keepingSession: nil) }
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

extension WriteStore {
    /// Ends what `scope` names and publishes it, applying `change` to the account in the same
    /// transaction (a disable or a role change must not take effect without its sign-out).
    public func endAccess(_ scope: AccessScope, applying change: AccountChange?, stamp: RevocationStamp) async throws -> AppliedWrites {
        var writes: [StoreWrite] = []
        if let change, case .account(let id, _) = scope { writes.append(.changeAccount(id: id, change)) }
        writes.append(.endAccess(scope))
        return try await apply(writes, stamp: stamp)
    }
}
