/// Quoted-printable (RFC 2045 §6.7) for the text and HTML parts: readable in a `.eml` file, 7-bit
/// safe, no encoded line longer than 76 characters. Line breaks become CRLF; a space or tab
/// before one, `=`, a `.` starting a line, and every byte outside printable ASCII are encoded.
enum QuotedPrintable {
    static func encode(_ text: String) -> String {
        let lines = text.replacingAll("\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        return lines.map { encodeLine(Array($0.utf8)) }.joined(separator: "\r\n")
    }

    private static func encodeLine(_ bytes: [UInt8]) -> String {
        var output = ""
        var lineLength = 0
        for (index, byte) in bytes.enumerated() {
            let isLast = index == bytes.count - 1
            let plain =
                (byte == 0x20 || byte == 0x09)
                ? !isLast
                : (0x21...0x7E).contains(byte) && byte != UInt8(ascii: "=") && !(byte == UInt8(ascii: ".") && lineLength == 0)
            let piece = plain ? String(UnicodeScalar(byte)) : "=" + hex(byte)
            // Keep room for the soft break's "=" (or, on the last piece, none is needed).
            if lineLength + piece.count > (isLast ? 76 : 75) {
                output += "=\r\n"
                lineLength = 0
            }
            output += lineLength == 0 && piece == "." ? "=2E" : piece
            lineLength += lineLength == 0 && piece == "." ? 3 : piece.count
        }
        return output
    }

    private static func hex(_ byte: UInt8) -> String {
        let digits = Array("0123456789ABCDEF")
        return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
    }
}
