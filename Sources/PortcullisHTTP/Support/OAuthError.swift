public import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An RFC 6749 §5.2 error answer (`{error, error_description}`), the format of the `/v1/token*`
/// endpoints.
public struct OAuthError: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// The RFC 6749 error code.
    public let code: String
    /// A sentence for the developer; never echoes a token or password.
    public let description: String

    /// Creates an error.
    public init(_ code: String, _ description: String, status: HTTPResponse.Status = .badRequest) {
        self.code = code
        self.description = description
        self.status = status
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var buffer = ByteBuffer()
        try buffer.writeJSONEncodable(["error": code, "error_description": description], encoder: .portcullis)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store", .pragma: "no-cache"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"portcullis\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static func invalidRequest(_ description: String) -> OAuthError { OAuthError("invalid_request", description) }
    static let invalidGrant = OAuthError("invalid_grant", "The grant is invalid, expired or revoked.")
    static let unsupportedGrantType = OAuthError("unsupported_grant_type", "Use password, refresh_token or the session token exchange.")
}
