/// Header values that cannot break the header they are in: RFC 2047 encoded-words for anything
/// that is not plain printable ASCII, quoted phrases for display names.
enum HeaderText {
    /// An unstructured value (a subject): as is when it is printable ASCII, otherwise as
    /// `=?UTF-8?B?…?=` encoded-words of at most 75 characters, folded onto continuation lines.
    static func unstructured(_ text: String) -> String {
        let flattened = text.map { $0.isNewline ? " " : String($0) }.joined()
        if isPlainASCII(flattened), flattened.utf8.count <= 900 { return flattened }
        return encodedWords(flattened).joined(separator: "\r\n ")
    }

    /// A display name: a quoted string when ASCII, encoded-words otherwise.
    static func phrase(_ text: String) -> String {
        guard isPlainASCII(text) else { return encodedWords(text).joined(separator: " ") }
        let escaped = text.replacingAll("\\", with: "\\\\").replacingAll("\"", with: "\\\"")
        return "\"\(escaped)\""
    }

    private static func isPlainASCII(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) } && !text.contains("=?")
    }

    /// Base64 encoded-words, each carrying whole characters and at most 39 bytes (52 encoded, 64
    /// with its markers), so even the first, after `Subject: `, fits a 78-character line.
    private static func encodedWords(_ text: String) -> [String] {
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            if chunk.count + bytes.count > 39, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Base64Text.encode(chunk))?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?\(Base64Text.encode(chunk))?=") }
        return words
    }
}

/// Standard base64 with padding (RFC 4648 §4), for encoded-words and SMTP AUTH.
enum Base64Text {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let chunk = bytes[index..<min(index + 3, bytes.count)]
            let value = chunk.enumerated().reduce(0) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                output.append(position <= chunk.count ? alphabet[Int(value >> (18 - 6 * position) & 0x3F)] : UInt8(ascii: "="))
            }
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension String {
    func replacingAll(_ target: String, with replacement: String) -> String {
        split(separator: target, omittingEmptySubsequences: false).joined(separator: replacement)
    }
}
