import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOCore
import PortcullisCore
import PortcullisTokens
import ServiceLifecycle

/// What service clients call: introspection and the revocation feed, as JSON
/// pages and as a Server-Sent-Events stream. Every route needs HTTP Basic client credentials.
struct ServiceClientRoutes {
    let services: PortcullisServices

    /// A quiet stream gets a comment this often, so verifiers can tell a quiet feed from a stuck one.
    static let keepAliveInterval: Duration = .seconds(5)

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/token/introspect") { request, context in
            var request = request
            _ = try await Self.requireClient(request, services: services)
            let form = try await TokenRoutes.parameters(&request, context: context)
            guard let token = form["token"], !token.isEmpty else { throw OAuthError.invalidRequest("The token parameter is required.") }
            let result = try await services.tokens.introspect(token)
            return try Response.json(IntrospectionBody(result), headers: [.cacheControl: "no-store"])
        }
        router.get("v1/revocations") { request, context in
            _ = try await Self.requireClient(request, services: services)
            let after = request.uri.queryParameters.get("after", as: Int64.self) ?? 0
            let entries = try await services.revocations.entries(after: after, now: Date())
            return try Response.json(Page(cursor: entries.last?.cursor ?? after, entries: entries.map(Entry.init)))
        }
        router.get("v1/revocations/stream") { request, context in
            _ = try await Self.requireClient(request, services: services)
            let start = request.headers[.lastEventID].flatMap(Int64.init) ?? request.uri.queryParameters.get("after", as: Int64.self) ?? 0
            let broadcaster = services.revocations
            let logger = context.logger
            return Response(
                status: .ok,
                headers: [.contentType: "text/event-stream", .cacheControl: "no-store"],
                body: ResponseBody { writer in
                    // One signal per read of the log by the instance's broadcaster: the stream
                    // itself never polls the store once it has caught up.
                    let reads = broadcaster.subscribe()
                    var cursor = start
                    var lastWrite = ContinuousClock.now
                    try await writer.write(ByteBuffer(string: "retry: 1000\n\n"))
                    var signals = reads.makeAsyncIterator()
                    repeat {
                        var entries = try await broadcaster.entries(after: cursor, now: Date())
                        while !entries.isEmpty {
                            var events = ""
                            for entry in entries {
                                let data = String(decoding: try JSONEncoder.portcullis.encode(Entry(entry)), as: UTF8.self)
                                events += "id: \(entry.cursor)\nevent: revocation\ndata: \(data)\n\n"
                                cursor = entry.cursor
                            }
                            try await writer.write(ByteBuffer(string: events))
                            lastWrite = .now
                            entries = entries.count < 1000 ? [] : try await broadcaster.entries(after: cursor, now: Date())
                        }
                        if ContinuousClock.now - lastWrite >= Self.keepAliveInterval {
                            try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                            lastWrite = .now
                        }
                    } while await signals.next() != nil && !Task.isCancelled && !Task.isShuttingDownGracefully
                    logger.debug("revocation stream closed")
                    try await writer.finish(nil)
                }
            )
        }
    }

    /// The service client the request's HTTP Basic credentials prove (RFC 6749 §2.3.1), or 401.
    static func requireClient(_ request: Request, services: PortcullisServices) async throws -> ServiceClient {
        guard let client = try await optionalClient(request, services: services) else {
            throw OAuthError("invalid_client", "Authenticate with the service client's id and secret (HTTP Basic).", status: .unauthorized)
        }
        return client
    }

    /// The service client, if the request sends Basic credentials; 401 if they are wrong.
    static func optionalClient(_ request: Request, services: PortcullisServices) async throws -> ServiceClient? {
        guard let header = request.headers[.authorization], header.count > 6, header.prefix(6).lowercased() == "basic " else { return nil }
        guard let decoded = Data(base64Encoded: String(header.dropFirst(6)).trimmingSpaces).map({ String(decoding: $0, as: UTF8.self) }),
            let colon = decoded.firstIndex(of: ":"),
            let id = String(decoded[..<colon]).removingPercentEncoding,
            let secret = String(decoded[decoded.index(after: colon)...]).removingPercentEncoding,
            let client = try await services.store.client(id: id), client.accepts(secret: secret)
        else {
            throw OAuthError("invalid_client", "The client credentials are wrong.", status: .unauthorized)
        }
        return client
    }

    struct IntrospectionBody: Encodable {
        let result: TokenService.Introspection
        init(_ result: TokenService.Introspection) { self.result = result }

        enum CodingKeys: String, CodingKey {
            case active, sub, exp, iat, sid, jti, amr
            case clientID = "client_id"
            case tokenType = "token_type"
            case authTime = "auth_time"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(result.active, forKey: .active)
            guard result.active else { return }
            try container.encodeIfPresent(result.subject, forKey: .sub)
            try container.encodeIfPresent(result.expiresAt, forKey: .exp)
            try container.encodeIfPresent(result.issuedAt, forKey: .iat)
            try container.encodeIfPresent(result.sessionID, forKey: .sid)
            try container.encodeIfPresent(result.tokenID, forKey: .jti)
            try container.encodeIfPresent(result.clientID, forKey: .clientID)
            try container.encodeIfPresent(result.tokenType, forKey: .tokenType)
            if !result.authenticationMethods.isEmpty { try container.encode(result.authenticationMethods, forKey: .amr) }
            try container.encodeIfPresent(result.authenticatedAt, forKey: .authTime)
        }
    }

    struct Page: Encodable {
        let cursor: Int64
        let entries: [Entry]
    }

    struct Entry: Encodable {
        let kind: String
        let id: String
        let revokedAt: Int64
        let expiresAt: Int64

        init(_ entry: Revocation) {
            kind = entry.kind.rawValue
            id = entry.id
            revokedAt = entry.revokedAt.epochSeconds
            expiresAt = entry.expiresAt.epochSeconds
        }

        enum CodingKeys: String, CodingKey {
            case kind, id
            case revokedAt = "revoked_at"
            case expiresAt = "expires_at"
        }
    }
}
