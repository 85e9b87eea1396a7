import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// Random requests to every route: whatever arrives, the answer is the client's error or a
/// success, never a 5xx. Seeded, so a failure reproduces; bounded, so it fits in the test run.
@Suite("Random input")
struct RandomInputTests {
    /// Every route the server answers (the revocation stream only ever without credentials, as a
    /// valid stream never ends).
    static let routes: [(HTTPRequest.Method, String)] = [
        (.get, "/healthz"), (.get, "/readyz"), (.get, "/metrics"),
        (.post, "/v1/accounts"), (.post, "/v1/sessions"), (.get, "/v1/session"), (.delete, "/v1/session"),
        (.get, "/v1/sessions"), (.delete, "/v1/sessions"), (.delete, "/v1/sessions/{id}"), (.get, "/v1/me"),
        (.post, "/v1/token"), (.post, "/v1/token/revoke"), (.post, "/v1/token/introspect"),
        (.get, "/.well-known/jwks.json"), (.get, "/.well-known/oauth-authorization-server"),
        (.get, "/v1/revocations"), (.get, "/v1/revocations/stream"),
        (.post, "/v1/admin/users/{id}/logout"), (.patch, "/v1/admin/users/{id}"), (.post, "/v1/admin/keys/rotate"),
        (.get, "/register"), (.post, "/register"), (.get, "/login"), (.post, "/login"), (.post, "/logout"),
        (.get, "/account"), (.post, "/account/sessions/{id}/revoke"), (.post, "/account/sessions/revoke-all"),
        (.post, "/account/apps/{id}/revoke"),
        (.post, "/v1/password-reset"), (.post, "/v1/password-reset/confirm"), (.post, "/v1/password"),
        (.post, "/v1/email-verification"), (.post, "/v1/email-verification/confirm"),
        (.get, "/forgot-password"), (.post, "/forgot-password"), (.get, "/reset-password"), (.post, "/reset-password"),
        (.get, "/verify-email"), (.post, "/verify-email"), (.post, "/verify-email/resend"),
        (.post, "/account/email-verification"), (.post, "/account/password"),
    ]

    @Test func noRequestGetsAServerError() async throws {
        // With mail on, so the recovery routes do their work rather than answer 503.
        let app = TestApp(mail: RecordingMailTransport())
        try await app.test { client in
            let admin = try await client.signUpAndLogIn("admin@example.com")
            try await app.promote("admin@example.com")
            let grant = try await client.passwordGrant("admin@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            var random = SeededRandom(seed: 0x5EED_2026)
            var failures: [String] = []
            for round in 0..<3000 {
                let (method, template) = random.pick(Self.routes)
                let path = template.replacingOccurrences(
                    of: "{id}",
                    with: random.pick(["x", admin.sessionID, "%zz", "..%2f", String(repeating: "a", count: 300)])
                )
                let query = random.chance(0.3) ? "?" + RandomBody.form(&random) : ""
                var headers = HTTPFields()
                switch random.next() % 5 {
                case 0: headers = admin.headers()
                case 1: headers = bearer(access)
                case 2: headers = [.cookie: RandomBody.text(&random, length: 60), .authorization: RandomBody.text(&random, length: 40)]
                case 3: headers = [.authorization: "Basic " + Data(RandomBody.text(&random, length: 20).utf8).base64EncodedString()]
                default: break
                }
                if random.chance(0.2) { headers[HTTPField.Name("Last-Event-ID")!] = RandomBody.text(&random, length: 8) }
                let (contentType, body) = RandomBody.make(&random)
                if let contentType { headers[.contentType] = contentType }
                let isStream = template == "/v1/revocations/stream"
                if isStream { headers[.authorization] = "Basic " + Data("nobody:\(round)".utf8).base64EncodedString() }
                let response = try await client.executeRequest(uri: path + query, method: method, headers: headers, body: ByteBuffer(string: body))
                if response.status.code >= 500 {
                    failures.append(
                        "\(method) \(path + query) [\(contentType ?? "-")] \(body.prefix(80).debugDescription) -> \(response.status.code) \(String(buffer: response.body).prefix(120))"
                    )
                }
            }
            #expect(failures.isEmpty, "\(failures.count) server errors, first: \(failures.prefix(5).joined(separator: "\n"))")
        }
    }
}

/// A small deterministic generator (SplitMix64), so a failing round can be replayed.
struct SeededRandom: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func pick<T>(_ items: [T]) -> T { items[Int(next() % UInt64(items.count))] }
    mutating func chance(_ probability: Double) -> Bool { Double(next() % 10_000) < probability * 10_000 }
}

/// Bodies that are almost right, plainly wrong, or hostile.
enum RandomBody {
    static let names = [
        "email", "password", "remember", "next", "csrf_token", "grant_type", "username", "refresh_token", "token",
        "current_password", "new_password",
        "audience", "subject_token_type", "roles", "disabled", "alg", "now", "after", "", "%", "a[b]",
    ]
    static let values = [
        "ada@example.com", "correct horse battery staple", "true", "1", "-1", "1e309", "null", "password", "refresh_token",
        "urn:ietf:params:oauth:grant-type:token-exchange", "urn:portcullis:session", "EdDSA", "HS256", "%zz", "%", "%E0%A4%A",
        "\u{0}", "日本語", "/\\evil", "//evil.example", String(repeating: "x", count: 2000),
    ]
    static let contentTypes: [String?] = [
        nil, "application/json", "application/x-www-form-urlencoded", "text/plain", "multipart/form-data; boundary=z",
        "application/json; charset=utf-16", "application/x-www-form-urlencoded; charset=latin1", "",
    ]

    static func make(_ random: inout SeededRandom) -> (String?, String) {
        let type = random.pick(contentTypes)
        switch random.next() % 4 {
        case 0: return (type, json(&random, depth: 0))
        case 1: return (type, form(&random))
        case 2: return (type, text(&random, length: Int(random.next() % 200)))
        default: return (type, "")
        }
    }

    static func form(_ random: inout SeededRandom) -> String {
        (0..<Int(random.next() % 6)).map { _ in
            let pair = random.pick(names) + "=" + random.pick(values)
            return random.chance(0.2) ? String(pair.dropLast(Int(random.next() % 3))) : pair
        }.joined(separator: random.chance(0.9) ? "&" : ";")
    }

    static func json(_ random: inout SeededRandom, depth: Int) -> String {
        if depth > 3 || random.chance(0.3) {
            switch random.next() % 6 {
            case 0: return "\"\(random.pick(values).replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\""))\""
            case 1: return "\(Int64(bitPattern: random.next()))"
            case 2: return random.chance(0.5) ? "true" : "null"
            case 3: return "[\(json(&random, depth: depth + 1))]"
            case 4: return "1e999"
            default: return "{"
            }
        }
        let members = (0..<Int(random.next() % 5)).map { _ in "\"\(random.pick(names))\": \(json(&random, depth: depth + 1))" }
        return "{" + members.joined(separator: ",") + "}"
    }

    static func text(_ random: inout SeededRandom, length: Int) -> String {
        String(decoding: (0..<length).map { _ in UInt8(truncatingIfNeeded: random.next()) }, as: UTF8.self)
    }
}
