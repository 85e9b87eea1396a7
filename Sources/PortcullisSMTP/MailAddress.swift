/// A mailbox, `Display Name <local@domain>`, safe to put in a header or an SMTP command.
///
/// Parsing refuses anything that could inject a header or a command: line breaks, angle brackets
/// or spaces inside the address, and control characters anywhere.
public struct MailAddress: Sendable, Hashable, CustomStringConvertible {
    /// `local@domain`.
    public let address: String
    /// The display name, if any.
    public let name: String?

    /// A mailbox from its parts; `nil` when either part is unsafe.
    public init?(address: String, name: String? = nil) {
        guard Self.isSafeAddress(address), name.map(Self.isSafeName) ?? true else { return nil }
        self.address = address
        self.name = name.flatMap { $0.isEmpty ? nil : $0 }
    }

    /// Parses `local@domain` or `Display Name <local@domain>`; `nil` when malformed or unsafe.
    public init?(_ text: String) {
        let trimmed = text.trimmingWhitespace
        guard let open = trimmed.lastIndex(of: "<") else {
            self.init(address: trimmed)
            return
        }
        guard trimmed.hasSuffix(">") else { return nil }
        let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
        var name = String(trimmed[..<open]).trimmingWhitespace
        if name.count >= 2, name.hasPrefix("\""), name.hasSuffix("\"") { name = String(name.dropFirst().dropLast()) }
        self.init(address: address, name: name)
    }

    /// The header form: the name quoted (or RFC 2047-encoded when not ASCII) and the address.
    public var header: String {
        guard let name else { return address }
        return "\(HeaderText.phrase(name)) <\(address)>"
    }

    /// The domain part, for `Message-ID`s.
    public var domain: Substring { address[address.index(after: address.lastIndex(of: "@")!)...] }

    public var description: String { header }

    private static func isSafeAddress(_ address: String) -> Bool {
        guard let at = address.lastIndex(of: "@"), at != address.startIndex, address.index(after: at) != address.endIndex,
            address.utf8.count <= 254
        else { return false }
        return address.unicodeScalars.allSatisfy { $0.value > 0x20 && $0.value != 0x7F && !"<>()[]\\,;:\"".unicodeScalars.contains($0) }
    }

    private static func isSafeName(_ name: String) -> Bool {
        name.utf8.count <= 200 && name.unicodeScalars.allSatisfy { $0.value >= 0x20 && $0.value != 0x7F }
    }
}

extension StringProtocol {
    var trimmingWhitespace: String {
        String(drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed())
    }
}
