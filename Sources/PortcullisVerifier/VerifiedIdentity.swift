public import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Who a verified access token speaks for.
public struct VerifiedIdentity: Sendable, Hashable {
    /// The account id (`sub`).
    public let subject: String
    /// The account's roles when the token was issued.
    public let roles: Set<String>
    /// The session or refresh family the token descends from (`sid`); revoking it revokes the token.
    public let sessionID: String
    /// The token's own id (`jti`).
    public let tokenID: String
    /// The client the token was issued to.
    public let clientID: String
    /// The token's scopes (`scope`), empty when it has none.
    public let scopes: Set<String>
    /// The audiences the token names.
    public let audiences: [String]
    /// When the token was issued.
    public let issuedAt: Date
    /// When the token expires.
    public let expiresAt: Date
    /// Whether the account's email address was proven when the token was issued.
    public let emailVerified: Bool
    /// How the sign-in behind the token was proven (`amr`, RFC 8176): `pwd`, `otp`, `hwk`,
    /// `user`, `mfa`; empty for a token that does not say.
    public let authenticationMethods: Set<String>
    /// When that sign-in happened (`auth_time`), if the token says.
    public let authenticatedAt: Date?

    init(claims: AccessTokenClaims, scopes: Set<String>) {
        subject = claims.subject
        roles = Set(claims.roles)
        sessionID = claims.sessionID
        tokenID = claims.tokenID
        clientID = claims.clientID
        self.scopes = scopes
        audiences = claims.audience
        issuedAt = Date(timeIntervalSince1970: TimeInterval(claims.issuedAt))
        expiresAt = Date(timeIntervalSince1970: TimeInterval(claims.expiresAt))
        emailVerified = claims.emailVerified
        authenticationMethods = Set(claims.authMethods)
        authenticatedAt = claims.authTime.map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Whether the sign-in proved more than one factor (`amr` holds `mfa`).
    public var hasSecondFactor: Bool { authenticationMethods.contains("mfa") }

    /// Whether the identity holds `role`.
    public func hasRole(_ role: String) -> Bool { roles.contains(role) }
}
