import HTTPTypes
import Hummingbird
import NIOCore

/// The answers RFC 6750 §3 prescribes when a bearer token is missing, invalid or insufficient:
/// a status, a `WWW-Authenticate: Bearer …` challenge, and a small JSON body.
enum BearerChallenge {
    /// No credentials: 401 with a bare challenge (no error code, RFC 6750 §3.1).
    case missing
    /// The token failed verification: 401 `invalid_token`.
    case invalidToken
    /// The token is valid but lacks a required role: 403 `insufficient_scope`.
    case insufficientRole
    /// The sign-in behind the token is too weak or, with `maximumAge`, too old: 401
    /// `insufficient_user_authentication` (RFC 9470).
    case insufficientAuthentication(maximumAge: Int64?)

    func response(realm: String?) -> Response {
        var parameters: [String] = []
        if let realm { parameters.append("realm=\"\(realm)\"") }
        let status: HTTPResponse.Status
        let body: String
        switch self {
        case .missing:
            status = .unauthorized
            body = #"{"error":"unauthorized","error_description":"A bearer access token is required."}"#
        case .invalidToken:
            status = .unauthorized
            parameters.append(#"error="invalid_token""#)
            body = #"{"error":"invalid_token","error_description":"The access token is invalid, expired or revoked."}"#
        case .insufficientRole:
            status = .forbidden
            parameters.append(#"error="insufficient_scope""#)
            body = #"{"error":"insufficient_scope","error_description":"The access token does not carry a role this resource requires."}"#
        case .insufficientAuthentication(let maximumAge):
            status = .unauthorized
            parameters.append(#"error="insufficient_user_authentication""#)
            if let maximumAge {
                parameters.append("max_age=\(maximumAge)")
                body = #"{"error":"insufficient_user_authentication","error_description":"Sign in again: this resource needs a recent sign-in."}"#
            } else {
                parameters.append(#"error_description="A second factor is required""#)
                body =
                    #"{"error":"insufficient_user_authentication","error_description":"Sign in with a second factor: this resource requires one."}"#
            }
        }
        let challenge = parameters.isEmpty ? "Bearer" : "Bearer " + parameters.joined(separator: ", ")
        return Response(
            status: status,
            headers: [.wwwAuthenticate: challenge, .contentType: "application/json", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: body))
        )
    }
}
