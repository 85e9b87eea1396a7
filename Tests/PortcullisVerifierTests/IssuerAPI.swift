import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import PortcullisTesting
import Testing

/// The issuer's HTTP API as a person or an admin would call it, for the revocation paths.
struct IssuerAPI {
    let issuer: LiveIssuer

    struct Reply {
        let status: UInt
        let headers: [String: String]
        let json: [String: Any]
    }

    func send(
        _ method: String,
        _ path: String,
        headers: [String: String] = [:],
        json: [String: Any]? = nil,
        form: [String: String]? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: issuer.url + path)
        request.method = .init(rawValue: method)
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let json {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        } else if let form {
            request.headers.add(name: "Content-Type", value: "application/x-www-form-urlencoded")
            let body = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        var fields: [String: String] = [:]
        for header in response.headers { fields[header.name.lowercased()] = header.value }
        let object = (try? JSONSerialization.jsonObject(with: Data(buffer: body))) as? [String: Any] ?? [:]
        return Reply(status: response.status.code, headers: fields, json: object)
    }

    /// A browser login: the session cookie and its CSRF token.
    func logIn(_ email: String) async throws -> (cookie: String, csrf: String) {
        let reply = try await send("POST", "/v1/sessions", json: ["email": email, "password": LiveIssuer.password])
        #expect(reply.status == 201)
        let setCookie = try #require(reply.headers["set-cookie"])
        let cookie = String(setCookie.prefix { $0 != ";" })
        return (cookie, try #require(reply.json["csrf_token"] as? String))
    }

    /// The session-bound access token a browser session mints for calling services.
    func exchange(cookie: String, csrf: String) async throws -> String {
        let reply = try await send(
            "POST",
            "/v1/token",
            headers: ["Cookie": cookie, "X-CSRF-Token": csrf],
            form: [
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "subject_token_type": "urn:portcullis:session",
            ]
        )
        #expect(reply.status == 200)
        return try #require(reply.json["access_token"] as? String)
    }

    func passwordGrant(_ email: String) async throws -> (access: String, refresh: String) {
        let reply = try await send("POST", "/v1/token", form: ["grant_type": "password", "username": email, "password": LiveIssuer.password])
        #expect(reply.status == 200)
        return (try #require(reply.json["access_token"] as? String), try #require(reply.json["refresh_token"] as? String))
    }

    func refresh(_ refreshToken: String) async throws -> Reply {
        try await send("POST", "/v1/token", form: ["grant_type": "refresh_token", "refresh_token": refreshToken])
    }
}
