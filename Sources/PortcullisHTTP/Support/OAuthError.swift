public import Hummingbird
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore

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
    /// Members the answer carries beside `error` (the `mfa_token` of `mfa_required`).
    let extra: [String: String]

    /// Creates an error.
    public init(_ code: String, _ description: String, status: HTTPResponse.Status = .badRequest) {
        self.init(code, description, status: status, extra: [:])
    }

    init(_ code: String, _ description: String, status: HTTPResponse.Status, extra: [String: String]) {
        self.code = code
        self.description = description
        self.status = status
        self.extra = extra
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var buffer = ByteBuffer()
        try buffer.writeJSONEncodable(extra.merging(["error": code, "error_description": description]) { _, own in own }, encoder: .portcullis)
        var headers: HTTPFields = [.contentType: "application/json", .cacheControl: "no-store", .pragma: "no-cache"]
        if status == .unauthorized { headers[.wwwAuthenticate] = "Basic realm=\"portcullis\"" }
        return Response(status: status, headers: headers, body: .init(byteBuffer: buffer))
    }

    static func invalidRequest(_ description: String) -> OAuthError { OAuthError("invalid_request", description) }
    static let invalidGrant = OAuthError("invalid_grant", "The grant is invalid, expired or revoked.")
    static let unsupportedGrantType = OAuthError("unsupported_grant_type", "Use password, refresh_token or the session token exchange.")

    /// 403 `mfa_required`: the password was right; complete the sign-in with the
    /// `urn:portcullis:grant-type:mfa-otp` grant, this `mfa_token` and a code.
    static func secondFactorRequired(_ challenge: SecondFactorSignIn.Challenge) -> OAuthError {
        OAuthError(
            "mfa_required",
            challenge.methods.contains("totp")
                ? "This account has two-step verification: send the mfa_token with a code (grant_type urn:portcullis:grant-type:mfa-otp)."
                : "This account's second step is a passkey, which only a browser can present: sign in there (POST /v1/webauthn/login).",
            status: .forbidden,
            extra: ["mfa_token": challenge.token]
        )
    }
}
