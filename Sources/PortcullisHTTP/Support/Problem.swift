public import HTTPTypes
public import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// An RFC 9457 problem answer (`application/problem+json`).
///
/// Every error the API returns is one of these. `detail` is written for the caller and never
/// echoes a token, password or cookie, nor says whether an account exists.
public struct Problem: HTTPResponseError, Sendable {
    public let status: HTTPResponse.Status
    /// The problem type: `about:blank` (the status says it all) or a reference such as
    /// `/problems/email-not-verified` that a client can branch on.
    public let type: String
    /// A short summary of the problem type.
    public let title: String
    /// What happened and what to do.
    public let detail: String
    /// Extra headers (`Retry-After`, `WWW-Authenticate`).
    public var headers: HTTPFields

    /// Creates a problem.
    public init(_ status: HTTPResponse.Status, type: String = "about:blank", title: String? = nil, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.type = type
        self.title = title ?? status.reasonPhrase
        self.detail = detail
        self.headers = headers
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = Body(type: type, title: title, status: status.code, detail: detail)
        var buffer = ByteBuffer()
        try buffer.writeJSONEncodable(body, encoder: .portcullis)
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    private struct Body: Encodable {
        let type: String
        let title: String
        let status: Int
        let detail: String
    }

    /// 401 for requests that need a signed-in user.
    static let unauthenticated = Problem(.unauthorized, detail: "Sign in first: this request needs a valid session.")
    /// 401 for a bearer token that fails verification or was revoked (RFC 6750 §3.1).
    static let invalidToken = Problem(
        .unauthorized,
        title: "Invalid token",
        detail: "The access token is invalid, expired or revoked.",
        headers: [.wwwAuthenticate: "Bearer error=\"invalid_token\""]
    )
    /// 403 for a missing or wrong CSRF token.
    static let csrfTokenRequired = Problem(
        .forbidden,
        title: "CSRF check failed",
        detail: "Send the session's CSRF token in the X-CSRF-Token header."
    )
    /// 403 for a request a browser marked as cross-site.
    static let crossSiteRequest = Problem(.forbidden, title: "CSRF check failed", detail: "Cross-site requests cannot change state.")
    /// 415 for a body of another media type than the endpoint takes.
    static func unsupportedMediaType(_ expected: String) -> Problem {
        Problem(.unsupportedMediaType, detail: "Send the body as \(expected).")
    }
}

extension Problem {
    /// The problem for a domain error: the only place a ``PortcullisError`` becomes a status.
    init(_ error: PortcullisError) {
        switch error.kind {
        case .invalidCredentials:
            self.init(.unauthorized, detail: error.reason)
        case .throttled:
            var headers = HTTPFields()
            headers[.retryAfter] = "\(error.retryAfterSeconds ?? 60)"
            self.init(.tooManyRequests, detail: error.reason, headers: headers)
        case .emailTaken:
            self.init(.conflict, detail: error.reason)
        case .notFound:
            self.init(.notFound, detail: error.reason)
        case .forbidden:
            self.init(.forbidden, detail: error.reason)
        case .storeUnavailable:
            self.init(.serviceUnavailable, detail: "The service is temporarily unavailable; try again shortly.")
        case .invalidToken:
            self.init(.badRequest, type: "/problems/invalid_token", title: "Invalid token", detail: error.reason)
        case .emailNotVerified:
            self.init(.forbidden, type: "/problems/email-not-verified", title: "Email not verified", detail: error.reason)
        case .mailDisabled:
            self.init(.serviceUnavailable, type: "/problems/mail-disabled", title: "Mail is off", detail: error.reason)
        case .busy:
            var headers = HTTPFields()
            headers[.retryAfter] = "\(error.retryAfterSeconds ?? 1)"
            self.init(.serviceUnavailable, detail: error.reason, headers: headers)
        default:
            self.init(.badRequest, detail: error.reason)
        }
    }
}
