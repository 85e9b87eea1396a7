/// A compact JWS (`header.payload.signature`) taken apart and shape-checked before any
/// cryptography sees it (docs/security.md#access-token-verification).
struct CompactJWS {
    /// The largest token accepted, in bytes.
    static let maximumSize = 8 * 1024

    let header: [String: JSONValue]
    let payload: [String: JSONValue]
    /// What the signature covers: the first two segments, as sent, with the dot between them.
    let signingInput: [UInt8]
    /// The decoded third segment.
    let signature: [UInt8]

    /// Parses `token`; throws ``TokenRejection/oversized`` or ``TokenRejection/malformed``.
    init(_ token: String) throws(TokenRejection) {
        guard token.utf8.count <= Self.maximumSize else { throw .oversized }
        let segments = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty }),
            let headerBytes = Base64.decode(bytes: segments[0]),
            let payloadBytes = Base64.decode(bytes: segments[1]),
            let signature = Base64.decode(bytes: segments[2]),
            let header = StrictJSON.object(headerBytes),
            let payload = StrictJSON.object(payloadBytes)
        else { throw .malformed }
        self.header = header
        self.payload = payload
        self.signingInput = Array(token.utf8[segments[0].startIndex..<segments[1].endIndex])
        self.signature = signature
    }
}
