import PortcullisTokens

/// What a browser's `navigator.credentials.create()` answered, in the WebAuthn JSON
/// serialisation (`PublicKeyCredential.toJSON()`): byte fields in unpadded base64url.
public struct RegistrationResponse: Decodable, Sendable {
    /// The attestation response.
    public struct Response: Decodable, Sendable {
        /// The client data the browser collected, as signed.
        public let clientDataJSON: String
        /// The CBOR attestation object: format, statement, authenticator data.
        public let attestationObject: String
        /// How the authenticator can be reached (`internal`, `usb`, `hybrid`…), if known.
        public let transports: [String]?
    }

    /// The credential id, base64url.
    public let id: String
    /// The credential id, base64url (the same as ``id``).
    public let rawId: String
    /// Always `public-key`.
    public let type: String
    /// The attestation response.
    public let response: Response
}

/// What a browser's `navigator.credentials.get()` answered, in the WebAuthn JSON serialisation.
public struct AssertionResponse: Decodable, Sendable {
    /// The assertion.
    public struct Response: Decodable, Sendable {
        /// The client data the browser collected, as signed.
        public let clientDataJSON: String
        /// The authenticator data, as signed.
        public let authenticatorData: String
        /// The signature over the authenticator data and the hash of the client data.
        public let signature: String
        /// The user handle a discoverable credential was created with.
        public let userHandle: String?
    }

    /// The credential id, base64url.
    public let id: String
    /// The credential id, base64url (the same as ``id``).
    public let rawId: String
    /// Always `public-key`.
    public let type: String
    /// The assertion.
    public let response: Response
}

/// The client data a browser collected and the authenticator signed over (WebAuthn §5.8.1).
struct CollectedClientData: Decodable {
    let type: String
    let challenge: String
    let origin: String
    let crossOrigin: Bool?

    /// Decodes the base64url `clientDataJSON` and checks it against the ceremony: its type, its
    /// origin, that it was not made in a cross-origin frame, and that `acceptsChallenge` takes its
    /// challenge. Answers the raw JSON bytes (their hash is signed) and the challenge.
    static func check(
        _ encoded: String,
        type expectedType: String,
        relyingParty: RelyingParty
    ) throws(PasskeyRefusal) -> (bytes: [UInt8], challenge: [UInt8]) {
        guard encoded.utf8.count <= 8192, let bytes = Base64.decode(encoded),
            let data = try? JSONDecoder().decode(CollectedClientData.self, from: Data(bytes))
        else { throw PasskeyRefusal.malformed("clientDataJSON is not valid") }
        guard data.type == expectedType else { throw PasskeyRefusal.malformed("the client data is of type \(data.type)") }
        guard data.origin == relyingParty.origin else { throw PasskeyRefusal.wrongOrigin(data.origin) }
        guard data.crossOrigin != true else { throw PasskeyRefusal.wrongOrigin("a cross-origin frame") }
        guard let challenge = Base64.decode(data.challenge) else { throw PasskeyRefusal.staleChallenge }
        return (bytes, challenge)
    }
}

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif
