import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The HTTP calls the experiments make on a throwaway server, as a browser or an app would make
/// them: sign in, ask who is signed in, sign out, get and revoke tokens.
struct LoopbackClient: Sendable {
    /// One answer: its status, the session cookie it set, and its JSON body.
    struct Answer: Sendable {
        var status: Int
        /// `NAME=VALUE` of the session cookie the answer set, if it set one.
        var sessionCookie: String?
        var body: [UInt8]

        /// The string member `name` of a JSON object body.
        func string(_ name: String) -> String? {
            guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any] else { return nil }
            return object[name] as? String
        }
    }

    /// A signed-in browser: its cookie and the session's CSRF token.
    struct BrowserSession: Sendable {
        /// `NAME=VALUE`, as a `Cookie` header carries it.
        var cookie: String
        var csrfToken: String
    }

    /// The client the calls go through.
    let http: HTTPClient

    init(http: HTTPClient) {
        self.http = http
    }

    /// Signs in with a password as a browser does (`POST /v1/sessions`).
    func signIn(_ base: String, email: String, password: String) async throws -> BrowserSession {
        let body = try JSONSerialization.data(withJSONObject: ["email": email, "password": password])
        let answer = try await send(base + "/v1/sessions", method: .POST, headers: [("Content-Type", "application/json")], body: Array(body))
        guard answer.status == 201, let cookie = answer.sessionCookie, let csrf = answer.string("csrf_token") else {
            throw ExperimentFailure("sign-in answered \(answer.status)")
        }
        return BrowserSession(cookie: cookie, csrfToken: csrf)
    }

    /// Signs out (`DELETE /v1/session`).
    func signOut(_ base: String, _ session: BrowserSession) async throws {
        let answer = try await send(
            base + "/v1/session",
            method: .DELETE,
            headers: [("Cookie", session.cookie), ("X-CSRF-Token", session.csrfToken)]
        )
        guard answer.status == 204 else { throw ExperimentFailure("sign-out answered \(answer.status)") }
    }

    /// The status of `GET /v1/me` with `session`'s cookie.
    func me(_ base: String, cookie: String) async throws -> Int {
        try await send(base + "/v1/me", method: .GET, headers: [("Cookie", cookie)]).status
    }

    /// The status of `GET /v1/me` with `token` as a bearer token.
    func me(_ base: String, bearer token: String) async throws -> Int {
        try await send(base + "/v1/me", method: .GET, headers: [("Authorization", "Bearer \(token)")]).status
    }

    /// An access token from the password grant, as a mobile app or a CLI gets one.
    func passwordGrant(_ base: String, email: String, password: String) async throws -> String {
        let form = "grant_type=password&username=\(Self.formEncoded(email))&password=\(Self.formEncoded(password))"
        return try await token(base, form: form, headers: [])
    }

    /// A short access token minted from a browser session (the token exchange grant).
    func mintToken(_ base: String, from session: BrowserSession) async throws -> String {
        let form =
            "grant_type=\(Self.formEncoded("urn:ietf:params:oauth:grant-type:token-exchange"))"
            + "&subject_token_type=\(Self.formEncoded("urn:portcullis:session"))"
        return try await token(base, form: form, headers: [("Cookie", session.cookie), ("X-CSRF-Token", session.csrfToken)])
    }

    /// Revokes an access or refresh token (RFC 7009).
    func revoke(_ base: String, token: String) async throws {
        let answer = try await send(
            base + "/v1/token/revoke",
            method: .POST,
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array("token=\(Self.formEncoded(token))".utf8)
        )
        guard answer.status == 200 else { throw ExperimentFailure("revocation answered \(answer.status)") }
    }

    private func token(_ base: String, form: String, headers: [(String, String)]) async throws -> String {
        let answer = try await send(
            base + "/v1/token",
            method: .POST,
            headers: headers + [("Content-Type", "application/x-www-form-urlencoded")],
            body: Array(form.utf8)
        )
        guard answer.status == 200, let token = answer.string("access_token") else {
            throw ExperimentFailure("the token endpoint answered \(answer.status)")
        }
        return token
    }

    private func send(_ url: String, method: HTTPMethod, headers: [(String, String)], body: [UInt8]? = nil) async throws -> Answer {
        var request = HTTPClientRequest(url: url)
        request.method = method
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let response = try await http.execute(request, timeout: .seconds(10))
        let bytes = try await response.body.collect(upTo: 1 << 20)
        let cookie = response.headers["Set-Cookie"].lazy
            .compactMap { $0.split(separator: ";").first.map(String.init) }
            .first { $0.hasPrefix(Self.sessionCookieName + "=") && $0.count > Self.sessionCookieName.count + 1 }
        return Answer(status: Int(response.status.code), sessionCookie: cookie, body: Array(buffer: bytes))
    }

    /// The session cookie's name.
    static let sessionCookieName = "__Host-portcullis_session"

    /// `text` for an `application/x-www-form-urlencoded` body.
    static func formEncoded(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? ""
    }

    private static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
}

/// An experiment could not do what it needed (the server refused a step it should accept).
struct ExperimentFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
