#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// One entry of the issuer's revocation feed.
struct RevocationEntry: Decodable, Sendable, Equatable {
    enum Kind: String, Decodable, Sendable {
        /// A session or refresh family: every token whose `sid` is `id`.
        case session
        /// An account: every token of `sub` = `id` issued at or before `revokedAt`.
        case user
        /// One access token: `jti` = `id`.
        case token
    }

    let kind: Kind
    let id: String
    /// Seconds since 1970.
    let revokedAt: Int64
    /// Seconds since 1970: after this no token the entry concerns can still be valid.
    let expiresAt: Int64

    enum CodingKeys: String, CodingKey {
        case kind, id
        case revokedAt = "revoked_at"
        case expiresAt = "expires_at"
    }
}

/// What the feed has revoked so far, minus entries that can no longer matter.
struct RevocationList: Sendable {
    private var sessions: [String: Int64] = [:]
    private var tokens: [String: Int64] = [:]
    private var users: [String: (revokedAt: Int64, expiresAt: Int64)] = [:]

    /// How many entries are held.
    var count: Int { sessions.count + tokens.count + users.count }

    /// Records `entry`; a later `user` entry for the same account supersedes an earlier one.
    mutating func apply(_ entry: RevocationEntry) {
        switch entry.kind {
        case .session: sessions[entry.id] = max(sessions[entry.id] ?? 0, entry.expiresAt)
        case .token: tokens[entry.id] = max(tokens[entry.id] ?? 0, entry.expiresAt)
        case .user:
            let previous = users[entry.id]
            users[entry.id] = (max(previous?.revokedAt ?? 0, entry.revokedAt), max(previous?.expiresAt ?? 0, entry.expiresAt))
        }
    }

    /// Whether the token with these claims was revoked.
    func revokes(_ identity: VerifiedIdentity) -> Bool {
        if tokens[identity.tokenID] != nil || sessions[identity.sessionID] != nil { return true }
        guard let user = users[identity.subject] else { return false }
        return Int64(identity.issuedAt.timeIntervalSince1970) <= user.revokedAt
    }

    /// Drops entries whose tokens have all expired by `now` (seconds since 1970).
    mutating func prune(now: Int64) {
        sessions = sessions.filter { $0.value >= now }
        tokens = tokens.filter { $0.value >= now }
        users = users.filter { $0.value.expiresAt >= now }
    }
}
