import HTTPTypes
import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

extension Request {
    /// The body of a JSON endpoint, decoded. Any other media type is refused with 415 before the
    /// body is read, which also keeps a cross-site form (which can only send form or text bodies)
    /// from ever reaching a JSON endpoint. Malformed JSON is a 400 (see ``ErrorMiddleware``).
    func decodeJSON<Body: Decodable>(as type: Body.Type) async throws -> Body {
        guard Self.mediaType(of: headers) == "application/json" else { throw Problem.unsupportedMediaType("application/json") }
        var request = self
        let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
        return try JSONDecoder().decode(type, from: body)
    }

    /// The body of a JSON endpoint whose body is optional: `nil` for a request without a JSON body
    /// (any other media type is not read), otherwise as ``decodeJSON(as:)``.
    func decodeOptionalJSON<Body: Decodable>(as type: Body.Type) async throws -> Body? {
        guard Self.mediaType(of: headers) == "application/json" else { return nil }
        var request = self
        let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
        guard body.readableBytes > 0 else { return nil }
        return try JSONDecoder().decode(type, from: body)
    }

    /// The body of a form post, decoded; other media types are refused with 415. A malformed form
    /// (bad percent-encoding, a repeated or mangled key) is a 400 (see ``ErrorMiddleware``).
    func decodeForm<Form: Decodable>(as type: Form.Type) async throws -> Form {
        guard Self.mediaType(of: headers) == "application/x-www-form-urlencoded" else {
            throw Problem.unsupportedMediaType("application/x-www-form-urlencoded")
        }
        var request = self
        let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
        return try URLEncodedFormDecoder().decode(Form.self, from: String(buffer: body))
    }

    /// The media type of the body (`application/json` for `application/json; charset=utf-8`),
    /// lowercased, or `nil` when there is no `Content-Type`.
    static func mediaType(of headers: HTTPFields) -> String? {
        headers[.contentType].map { $0.prefix { $0 != ";" }.trimmingSpaces.lowercased() }
    }
}
