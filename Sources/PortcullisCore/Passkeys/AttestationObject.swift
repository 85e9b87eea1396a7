/// What an authenticator answers when it creates a credential (WebAuthn §6.5): the attestation
/// format, its statement, and the authenticator data with the new credential.
///
/// Portcullis asks for no attestation: it does not restrict which authenticators people use.
/// Format `none` is accepted; so is `packed`, treated as `none` except that a self-attestation
/// (no certificate) must carry a valid signature by the new credential itself. Other formats are
/// refused rather than half-checked.
struct AttestationObject {
    let format: String
    let authenticatorData: AuthenticatorData
    let credential: AuthenticatorData.AttestedCredential
    let key: COSEKey

    /// Parses and checks `bytes` against the hash of the client data it was made for.
    init(_ bytes: [UInt8], clientDataHash: [UInt8]) throws(PasskeyRefusal) {
        guard bytes.count <= 16384 else { throw .malformed("the attestation object is too large") }
        let object: CBOR
        let data: AuthenticatorData
        do {
            object = try CBOR.decode(bytes)
            guard let authData = object["authData"]?.byteString else { throw CBOR.DecodingError(description: "authData is missing") }
            data = try AuthenticatorData(authData)
        } catch {
            throw .malformed("attestation object: \(error)")
        }
        guard let format = object["fmt"]?.textString, let statement = object["attStmt"], let entries = statement.entries else {
            throw .malformed("the attestation object lacks fmt or attStmt")
        }
        guard let credential = data.attestedCredential else { throw .malformed("the attestation carries no credential") }
        let key: COSEKey
        do {
            key = try COSEKey(cbor: credential.publicKey)
        } catch {
            throw .unsupported("\(error)")
        }
        switch format {
        case "none":
            guard entries.isEmpty else { throw .malformed("a none attestation has a statement") }
        case "packed" where statement["x5c"] == nil:
            // Self-attestation: signed by the credential's own key, over authData ‖ clientDataHash.
            guard statement["alg"]?.integer == key.algorithm, let signature = statement["sig"]?.byteString else {
                throw .malformed("the packed self-attestation does not match the key")
            }
            guard key.isValidSignature(signature, for: data.bytes + clientDataHash) else { throw .badSignature }
        case "packed":
            // A certificate chain that would tell the authenticator's model: not asked for, not used.
            break
        default:
            throw .unsupported("attestation format \(format)")
        }
        self.format = format
        self.authenticatorData = data
        self.credential = credential
        self.key = key
    }
}
