import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// The verifier's requests to the issuer: RFC 8414 metadata, the key set and the revocation feed.
///
/// It owns one `HTTPClient` (redirects refused, so the client's credentials go nowhere else), which
/// exists only while the verifier runs: ``open()`` at the start of its `run()`, ``close()`` at the end.
final class IssuerClient: Sendable {
    /// What a request to the issuer can fail with, for logs (never containing credentials).
    enum Failure: Error, CustomStringConvertible {
        case status(path: String, code: UInt)
        case malformed(path: String)
        case issuerMismatch(String)
        case notRunning

        var description: String {
            switch self {
            case .status(let path, let code): "\(path) answered \(code)"
            case .malformed(let path): "\(path) answered something that is not the expected JSON"
            case .issuerMismatch(let found): "the metadata names another issuer (\(found))"
            case .notRunning: "the verifier is not running"
            }
        }
    }

    /// One page of the revocation feed.
    struct RevocationPage: Decodable {
        let cursor: Int64
        let entries: [RevocationEntry]
    }

    let configuration: VerifierConfiguration
    private let base: String
    private let client = Mutex<HTTPClient?>(nil)

    /// The largest response read: the key set, a metadata document or a feed page.
    static let maximumBodySize = 1 << 20

    init(configuration: VerifierConfiguration) {
        self.configuration = configuration
        self.base = configuration.issuer.hasSuffix("/") ? String(configuration.issuer.dropLast()) : configuration.issuer
    }

    /// Creates the HTTP client.
    func open() {
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow
        // The event stream is quiet between entries, but the issuer comments every 5 s: three
        // missed comments end a stuck stream, and polling takes over.
        settings.timeout = .init(connect: .seconds(3), read: .seconds(15))
        let http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: settings)
        client.withLock { $0 = http }
    }

    /// Shuts the HTTP client down, failing requests in flight.
    func close() async {
        let http = client.withLock { client in
            defer { client = nil }
            return client
        }
        try? await http?.shutdown()
    }

    private var http: HTTPClient {
        get throws {
            try client.withLock { client in
                guard let client else { throw Failure.notRunning }
                return client
            }
        }
    }

    /// The key set's URL from the issuer's RFC 8414 metadata, after checking the metadata names
    /// the configured issuer (RFC 8414 §3.3).
    func discoverKeySetURL() async throws -> String {
        struct Metadata: Decodable {
            let issuer: String
            let jwksURI: String
            enum CodingKeys: String, CodingKey {
                case issuer
                case jwksURI = "jwks_uri"
            }
        }
        let path = "/.well-known/oauth-authorization-server"
        let (body, _) = try await get(base + path, label: path)
        guard let metadata = try? JSONDecoder().decode(Metadata.self, from: Data(body)) else { throw Failure.malformed(path: path) }
        guard metadata.issuer == configuration.issuer else { throw Failure.issuerMismatch(metadata.issuer) }
        return metadata.jwksURI
    }

    /// The key set document and how long it may be used.
    func fetchKeySet(from url: String) async throws -> (document: [UInt8], cacheControl: CacheControl) {
        let (body, headers) = try await get(url, label: "jwks")
        return (body, CacheControl(headers.first(name: "cache-control")))
    }

    /// Feed entries after `cursor`.
    func revocations(after cursor: Int64) async throws -> RevocationPage {
        let path = "/v1/revocations"
        let (body, _) = try await get(base + path + "?after=\(cursor)", label: path, authenticated: true)
        guard let page = try? JSONDecoder().decode(RevocationPage.self, from: Data(body)) else { throw Failure.malformed(path: path) }
        return page
    }

    /// Opens the feed's event stream after `cursor` (sent as `Last-Event-ID`). The response's body
    /// stays open until the issuer or the network ends it.
    func openRevocationStream(after cursor: Int64) async throws -> HTTPClientResponse {
        let path = "/v1/revocations/stream"
        var request = HTTPClientRequest(url: base + path)
        request.headers.add(name: "Accept", value: "text/event-stream")
        request.headers.add(name: "Last-Event-ID", value: String(cursor))
        addClientAuthorization(to: &request)
        let response = try await http.execute(request, timeout: .init(configuration.requestTimeout))
        guard response.status == .ok else { throw Failure.status(path: path, code: response.status.code) }
        return response
    }

    private func get(_ url: String, label: String, authenticated: Bool = false) async throws -> ([UInt8], HTTPHeaders) {
        var request = HTTPClientRequest(url: url)
        request.headers.add(name: "Accept", value: "application/json")
        if authenticated { addClientAuthorization(to: &request) }
        let response = try await http.execute(request, timeout: .init(configuration.requestTimeout))
        let body = try await response.body.collect(upTo: Self.maximumBodySize)
        guard response.status == .ok else { throw Failure.status(path: label, code: response.status.code) }
        return (Array(buffer: body), response.headers)
    }

    /// HTTP Basic with the service client's credentials (RFC 6749 §2.3.1: form-encoded id and secret).
    private func addClientAuthorization(to request: inout HTTPClientRequest) {
        guard let client = configuration.client else { return }
        let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "-._~"))
        let id = client.id.addingPercentEncoding(withAllowedCharacters: allowed) ?? client.id
        let secret = client.secret.addingPercentEncoding(withAllowedCharacters: allowed) ?? client.secret
        request.headers.add(name: "Authorization", value: "Basic " + Data("\(id):\(secret)".utf8).base64EncodedString())
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
