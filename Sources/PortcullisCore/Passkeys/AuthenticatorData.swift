/// What an authenticator signs about itself (WebAuthn §6.1): the hash of the relying-party id
/// it used, its flags, its signature counter and, at registration, the new credential.
public struct AuthenticatorData: Sendable {
    /// The credential an authenticator created, as registration reports it.
    public struct AttestedCredential: Sendable {
        /// The authenticator model's AAGUID (all zeroes when it keeps it private).
        public let aaguid: [UInt8]
        /// The credential id.
        public let id: [UInt8]
        /// The credential's public key, as COSE CBOR bytes.
        public let publicKey: [UInt8]
    }

    /// The whole structure, as signed.
    public let bytes: [UInt8]
    /// SHA-256 of the relying-party id the authenticator used.
    public let relyingPartyIDHash: [UInt8]
    /// The flags byte.
    public let flags: UInt8
    /// The signature counter (zero for authenticators that do not count).
    public let signCount: UInt32
    /// The new credential (registration only).
    public let attestedCredential: AttestedCredential?

    /// UP: a person touched the authenticator.
    public var userPresent: Bool { flags & 0x01 != 0 }
    /// UV: the authenticator verified the person (PIN, biometric).
    public var userVerified: Bool { flags & 0x04 != 0 }
    /// BE: the credential may be copied to other devices (a synced passkey).
    public var backupEligible: Bool { flags & 0x08 != 0 }
    /// BS: the credential is copied to other devices now.
    public var backedUp: Bool { flags & 0x10 != 0 }

    /// The longest credential id accepted (WebAuthn caps them at 1023 bytes).
    public static let maximumCredentialIDLength = 1023

    /// Parses authenticator data; strict about lengths: nothing may be missing or left over.
    public init(_ bytes: [UInt8]) throws(CBOR.DecodingError) {
        guard bytes.count >= 37 else { throw CBOR.DecodingError(description: "authenticator data is shorter than 37 bytes") }
        self.bytes = bytes
        relyingPartyIDHash = Array(bytes[0..<32])
        flags = bytes[32]
        signCount = bytes[33..<37].reduce(0) { $0 << 8 | UInt32($1) }
        var offset = 37
        if flags & 0x40 != 0 {
            guard bytes.count >= offset + 18 else { throw CBOR.DecodingError(description: "attested credential data is cut short") }
            let aaguid = Array(bytes[offset..<offset + 16])
            let idLength = Int(bytes[offset + 16]) << 8 | Int(bytes[offset + 17])
            offset += 18
            guard idLength <= Self.maximumCredentialIDLength, bytes.count >= offset + idLength else {
                throw CBOR.DecodingError(description: "the credential id length is out of range")
            }
            let id = Array(bytes[offset..<offset + idLength])
            offset += idLength
            let (_, keyLength) = try CBOR.decodePrefix(bytes[offset...])
            attestedCredential = AttestedCredential(aaguid: aaguid, id: id, publicKey: Array(bytes[offset..<offset + keyLength]))
            offset += keyLength
        } else {
            attestedCredential = nil
        }
        if flags & 0x80 != 0 {
            // Extension outputs: one CBOR map, which nothing here asks for.
            let (extensions, length) = try CBOR.decodePrefix(bytes[offset...])
            guard extensions.entries != nil else { throw CBOR.DecodingError(description: "extensions must be a map") }
            offset += length
        }
        guard offset == bytes.count else { throw CBOR.DecodingError(description: "\(bytes.count - offset) bytes follow the authenticator data") }
    }
}
