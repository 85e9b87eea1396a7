/// A compact JWS (`header.payload.signature`) taken apart and shape-checked before any
/// cryptography or library decoding sees it (SECURITY.md §4).
struct CompactJWS {
    /// The largest token accepted, in bytes.
    static let maximumSize = 8 * 1024

    let header: [String: JSONValue]
    let payload: [String: JSONValue]

    /// Parses `token`; throws ``TokenRejection/oversized`` or ``TokenRejection/malformed``.
    init(_ token: String) throws(TokenRejection) {
        guard token.utf8.count <= Self.maximumSize else { throw .oversized }
        let segments = token.split(separator: ".", omittingEmptySubsequences: false)
        guard segments.count == 3, segments.allSatisfy({ !$0.isEmpty }),
            let headerBytes = Base64.decode(segments[0]),
            let payloadBytes = Base64.decode(segments[1]),
            Base64.decode(segments[2]) != nil,
            let header = StrictJSON.object(headerBytes),
            let payload = StrictJSON.object(payloadBytes)
        else { throw .malformed }
        self.header = header
        self.payload = payload
    }
}
