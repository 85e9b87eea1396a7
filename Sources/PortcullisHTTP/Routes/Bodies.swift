import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
public import PortcullisCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// The API's JSON shapes (snake_case, times in epoch seconds).
struct SessionBody: Encodable {
    let id: String
    let createdAt: Int64
    let lastSeenAt: Int64
    let expiresAt: Int64
    let userAgent: String?
    let ip: String?
    let current: Bool

    init(_ session: Session, currentID: String?) {
        id = session.id
        createdAt = session.createdAt.epochSeconds
        lastSeenAt = session.lastSeenAt.epochSeconds
        expiresAt = session.expiresAt.epochSeconds
        userAgent = session.userAgent
        ip = session.ipAddress
        current = session.id == currentID
    }

    enum CodingKeys: String, CodingKey {
        case id, current, ip
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case expiresAt = "expires_at"
        case userAgent = "user_agent"
    }

    /// Every field is always present; unknown values are `null`.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(id, forKey: .id)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(lastSeenAt, forKey: .lastSeenAt)
        try container.encode(expiresAt, forKey: .expiresAt)
        try container.encode(userAgent, forKey: .userAgent)
        try container.encode(ip, forKey: .ip)
        try container.encode(current, forKey: .current)
    }
}

struct UserBody: Encodable {
    let id: String
    let email: String
    let emailVerified: Bool
    let roles: [String]
    let createdAt: Int64

    init(_ account: Account) {
        id = account.id
        email = account.email
        emailVerified = account.isEmailVerified
        roles = account.roles
        createdAt = account.createdAt.epochSeconds
    }

    enum CodingKeys: String, CodingKey {
        case id, email, roles
        case emailVerified = "email_verified"
        case createdAt = "created_at"
    }
}

/// An account as the admin API and the `users` commands print it.
public struct AccountBody: Encodable, Sendable {
    let id: String
    let email: String
    let roles: [String]
    let disabled: Bool
    let createdAt: Int64

    /// The printable form of `account`.
    public init(_ account: Account) {
        id = account.id
        email = account.email
        roles = account.roles
        disabled = account.isDisabled
        createdAt = account.createdAt.epochSeconds
    }

    enum CodingKeys: String, CodingKey {
        case id, email, roles, disabled
        case createdAt = "created_at"
    }
}

/// `{session, user, csrf_token}`: the answer to login and to `GET /v1/session`.
struct SessionEnvelope: Encodable {
    let session: SessionBody
    let user: UserBody
    let csrfToken: String

    init(_ authenticated: AuthenticatedSession) {
        session = SessionBody(authenticated.session, currentID: authenticated.session.id)
        user = UserBody(authenticated.account)
        csrfToken = authenticated.secret.csrfToken
    }

    enum CodingKeys: String, CodingKey {
        case session, user
        case csrfToken = "csrf_token"
    }
}

extension Response {
    /// A JSON answer.
    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var buffer = ByteBuffer()
        try buffer.writeJSONEncodable(value, encoder: .portcullis)
        var headers = headers
        headers[.contentType] = "application/json"
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    /// A JSON answer written by hand (``JSONText``).
    static func json(_ text: JSONText, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: text.bytes)))
    }
}

extension JSONEncoder {
    /// The API's encoder: keys sorted, so equal answers are byte-for-byte equal. One instance,
    /// shared: its settings never change after this, and encoding does not mutate it.
    static let portcullis: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()
}
