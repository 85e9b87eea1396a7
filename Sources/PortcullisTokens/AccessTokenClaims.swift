#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// The claims of a Portcullis access token: the RFC 9068 profile, kept minimal.
public struct AccessTokenClaims: Sendable, Hashable, Codable {
    /// `iss`: the issuer URL.
    public var issuer: String
    /// `sub`: the account id.
    public var subject: String
    /// `aud`: the audiences (encoded as a string when there is one).
    public var audience: [String]
    /// `exp`: seconds since 1970.
    public var expiresAt: Int64
    /// `iat`: seconds since 1970.
    public var issuedAt: Int64
    /// `jti`: a unique id, the key for revoking this one token.
    public var tokenID: String
    /// `sid`: the session or refresh family the token belongs to.
    public var sessionID: String
    /// `client_id`: the client the token was issued to.
    public var clientID: String
    /// `roles`, present only when non-empty.
    public var roles: [String]
    /// `email_verified` (the OpenID Connect claim): whether the account's address is proven.
    public var emailVerified: Bool
    /// `amr` (RFC 8176): how the sign-in behind the token was proven, such as `pwd`, `otp`, `hwk`,
    /// `user` and `mfa`; absent from tokens issued before methods were recorded.
    public var authMethods: [String]
    /// `auth_time`: when that sign-in happened, in seconds since 1970.
    public var authTime: Int64?

    /// Creates claims.
    public init(
        issuer: String,
        subject: String,
        audience: [String],
        expiresAt: Int64,
        issuedAt: Int64,
        tokenID: String,
        sessionID: String,
        clientID: String,
        roles: [String],
        emailVerified: Bool = false,
        authMethods: [String] = [],
        authTime: Int64? = nil
    ) {
        self.issuer = issuer
        self.subject = subject
        self.audience = audience
        self.expiresAt = expiresAt
        self.issuedAt = issuedAt
        self.tokenID = tokenID
        self.sessionID = sessionID
        self.clientID = clientID
        self.roles = roles
        self.emailVerified = emailVerified
        self.authMethods = authMethods
        self.authTime = authTime
    }

    enum CodingKeys: String, CodingKey {
        case issuer = "iss"
        case subject = "sub"
        case audience = "aud"
        case expiresAt = "exp"
        case issuedAt = "iat"
        case tokenID = "jti"
        case sessionID = "sid"
        case clientID = "client_id"
        case roles
        case emailVerified = "email_verified"
        case authMethods = "amr"
        case authTime = "auth_time"
    }

    /// The claims of a payload that passed ``AccessTokenVerifier``'s claim rules, which guarantee
    /// every required claim is present with the right type.
    init(checked payload: [String: JSONValue]) {
        issuer = payload["iss"]?.string ?? ""
        subject = payload["sub"]?.string ?? ""
        audience =
            switch payload["aud"] {
            case .string(let single)?: [single]
            case .array(let items)?: items.compactMap(\.string)
            default: []
            }
        expiresAt = Int64(payload["exp"]?.number ?? 0)
        issuedAt = Int64(payload["iat"]?.number ?? 0)
        tokenID = payload["jti"]?.string ?? ""
        sessionID = payload["sid"]?.string ?? ""
        clientID = payload["client_id"]?.string ?? ""
        roles = if case .array(let items)? = payload["roles"] { items.compactMap(\.string) } else { [] }
        emailVerified = payload["email_verified"]?.bool ?? false
        authMethods = if case .array(let items)? = payload["amr"] { items.compactMap(\.string) } else { [] }
        authTime = payload["auth_time"]?.number.map { Int64($0) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        issuer = try container.decode(String.self, forKey: .issuer)
        subject = try container.decode(String.self, forKey: .subject)
        if let single = try? container.decode(String.self, forKey: .audience) {
            audience = [single]
        } else {
            audience = try container.decode([String].self, forKey: .audience)
        }
        expiresAt = Int64(try container.decode(Double.self, forKey: .expiresAt))
        issuedAt = Int64(try container.decode(Double.self, forKey: .issuedAt))
        tokenID = try container.decode(String.self, forKey: .tokenID)
        sessionID = try container.decode(String.self, forKey: .sessionID)
        clientID = try container.decodeIfPresent(String.self, forKey: .clientID) ?? ""
        roles = try container.decodeIfPresent([String].self, forKey: .roles) ?? []
        emailVerified = try container.decodeIfPresent(Bool.self, forKey: .emailVerified) ?? false
        authMethods = try container.decodeIfPresent([String].self, forKey: .authMethods) ?? []
        authTime = try container.decodeIfPresent(Double.self, forKey: .authTime).map { Int64($0) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(issuer, forKey: .issuer)
        try container.encode(subject, forKey: .subject)
        if audience.count == 1 { try container.encode(audience[0], forKey: .audience) } else { try container.encode(audience, forKey: .audience) }
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(issuedAt, forKey: .issuedAt)
        try container.encode(tokenID, forKey: .tokenID)
        try container.encode(sessionID, forKey: .sessionID)
        try container.encode(clientID, forKey: .clientID)
        if !roles.isEmpty { try container.encode(roles, forKey: .roles) }
        try container.encode(emailVerified, forKey: .emailVerified)
        if !authMethods.isEmpty { try container.encode(authMethods, forKey: .authMethods) }
        try container.encodeIfPresent(authTime, forKey: .authTime)
    }
}
