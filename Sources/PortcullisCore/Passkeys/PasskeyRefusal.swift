/// Why a passkey ceremony was refused: logged with the reason, answered without it (see
/// ``error``), so a caller learns only that the passkey was not accepted.
public enum PasskeyRefusal: Error, Sendable, Equatable, CustomStringConvertible {
    /// The response is not what WebAuthn specifies (encoding, lengths, fields).
    case malformed(String)
    /// The challenge is not one this server issued for this ceremony, or it expired or was used.
    case staleChallenge
    /// The client data names another origin (a phishing page, another site).
    case wrongOrigin(String)
    /// The authenticator used another relying-party id.
    case wrongRelyingParty
    /// The authenticator did not verify the person (no PIN or biometric).
    case userNotVerified
    /// The key's algorithm or attestation format is not accepted.
    case unsupported(String)
    /// The signature does not verify.
    case badSignature
    /// No passkey with this id is registered (for this account).
    case unknownCredential
    /// The signature counter did not increase: the authenticator may have been cloned.
    case signCountRegressed(stored: UInt32, presented: UInt32)

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed: \(reason)"
        case .staleChallenge: "the challenge is unknown, expired or used"
        case .wrongOrigin(let origin): "wrong origin: \(origin)"
        case .wrongRelyingParty: "the relying-party id hash does not match"
        case .userNotVerified: "user verification is missing"
        case .unsupported(let reason): "unsupported: \(reason)"
        case .badSignature: "the signature does not verify"
        case .unknownCredential: "the credential is not registered"
        case .signCountRegressed(let stored, let presented): "sign counter went from \(stored) to \(presented): possibly a cloned authenticator"
        }
    }

    /// What the caller is told: a malformed response is a bad request; anything else is a
    /// refused credential, counted like a wrong password.
    public var error: PortcullisError {
        switch self {
        case .malformed, .unsupported: PortcullisError(.invalidRequest, "The passkey response is not valid.")
        default: PortcullisError(.invalidCredentials, "The passkey was not accepted.")
        }
    }
}
