import Foundation
import PortcullisCore
import PortcullisTokens
import Testing

@testable import PortcullisHTTP

/// `GET /v1/me` is written by hand for speed: it must stay byte-for-byte what the API's
/// `JSONEncoder` writes for the same value, escapes included.
@Suite("The /v1/me answer")
struct MeAnswerTests {
    static let awkward = "a\"b\\c/d\ne\u{08}\u{0C}\u{01}\té日🦊"

    static func callers(email: String, roles: [String], verified: Bool) -> [Caller] {
        let account = Account(
            email: email,
            roles: roles,
            createdAt: Date(epochSeconds: 1_800_000_000),
            emailVerifiedAt: verified ? Date(epochSeconds: 1_800_000_001) : nil
        )
        let session = Session(
            id: "sid-\(awkward)",
            accountID: account.id,
            secretHash: SessionSecret.generate().hash,
            createdAt: Date(epochSeconds: 1_800_000_000),
            lastSeenAt: Date(epochSeconds: 1_800_000_000),
            idleTimeout: .seconds(1800),
            absoluteExpiry: Date(epochSeconds: 1_800_043_200),
            remember: false,
            userAgent: nil,
            ipAddress: nil
        )
        let claims = AccessTokenClaims(
            issuer: "https://id.example",
            subject: account.id,
            audience: ["api"],
            expiresAt: 1_800_000_300,
            issuedAt: 1_800_000_000,
            tokenID: "jti",
            sessionID: "family-\(awkward)",
            clientID: "cli",
            roles: roles,
            emailVerified: verified
        )
        return [
            .session(AuthenticatedSession(validated: .init(session: session, account: account), secret: .generate(), passesCSRFCheck: true)),
            .bearer(BearerIdentity(claims: claims, account: account)),
        ]
    }

    @Test(arguments: [
        ("ada@example.com", [String](), false),
        ("ada@example.com", ["admin", "support"], true),
        (awkward, [awkward, "</script>"], true),
    ])
    func theHandWrittenAnswerEqualsTheEncodersBytes(email: String, roles: [String], verified: Bool) throws {
        for caller in Self.callers(email: email, roles: roles, verified: verified) {
            let me = SessionRoutes.Me(caller)
            let encoded = try JSONEncoder.portcullis.encode(me)
            #expect(
                me.json.bytes == Array(encoded),
                "\(String(decoding: me.json.bytes, as: UTF8.self)) vs \(String(decoding: encoded, as: UTF8.self))"
            )
        }
    }
}
