/// A CBOR data item (RFC 8949), as far as WebAuthn needs: integers, byte and text strings, arrays,
/// maps, `true`, `false` and `null`.
///
/// Authenticators encode their attestation objects and public keys (COSE keys) in CBOR. The
/// decoder is strict and bounded, because every byte it reads comes from the network: see
/// ``decode(_:)``.
public enum CBOR: Sendable, Hashable {
    /// An unsigned integer (major type 0).
    case unsigned(UInt64)
    /// A negative integer: the value is `-1 - n` (major type 1).
    case negative(UInt64)
    /// A byte string.
    case bytes([UInt8])
    /// A text string (valid UTF-8).
    case text(String)
    /// An array.
    case array([CBOR])
    /// A map, its entries in the order they were encoded (keys are unique).
    case map([Entry])
    /// `true` or `false`.
    case bool(Bool)
    /// `null`.
    case null

    /// One key and value of a ``map(_:)``.
    public struct Entry: Sendable, Hashable {
        /// The key.
        public let key: CBOR
        /// The value.
        public let value: CBOR

        /// Creates an entry.
        public init(_ key: CBOR, _ value: CBOR) {
            self.key = key
            self.value = value
        }
    }

    /// Why some bytes are not an acceptable CBOR item.
    public struct DecodingError: Error, Sendable, Equatable, CustomStringConvertible {
        /// What is wrong, for logs and tests.
        public let description: String
    }

    /// The deepest nesting of arrays and maps accepted: an attestation object needs three.
    public static let maximumDepth = 8

    /// The most entries an array or map may declare.
    public static let maximumCount = 256

    /// Decodes exactly one item that fills all of `bytes`.
    ///
    /// Strict: indefinite lengths, tags, floating-point and other simple values, duplicate map
    /// keys, map keys other than integers and text, invalid UTF-8 and trailing bytes are refused;
    /// nesting deeper than ``maximumDepth`` and containers of more than ``maximumCount`` entries
    /// are refused; a declared length beyond the input is refused before anything is allocated.
    public static func decode(_ bytes: some Collection<UInt8>) throws(DecodingError) -> CBOR {
        let (item, consumed) = try decodePrefix(bytes)
        guard consumed == bytes.count else { throw DecodingError(description: "\(bytes.count - consumed) trailing bytes") }
        return item
    }

    /// Decodes the one item at the start of `bytes`; answers it and how many bytes it took (an
    /// authenticator's data is a COSE key followed by more).
    public static func decodePrefix(_ bytes: some Collection<UInt8>) throws(DecodingError) -> (item: CBOR, consumed: Int) {
        var reader = Reader(bytes: Array(bytes))
        let item = try reader.item(depth: 0)
        return (item, reader.offset)
    }

    /// The value under `key` in a map, or `nil` (also for an item that is not a map).
    public subscript(key: CBOR) -> CBOR? {
        guard case .map(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// The value under the integer `key` in a map (COSE labels are integers).
    public subscript(label: Int64) -> CBOR? {
        self[CBOR(label)]
    }

    /// The value under the text `key` in a map.
    public subscript(name: String) -> CBOR? {
        self[.text(name)]
    }

    /// The integer `value`.
    public init(_ value: Int64) {
        self = value >= 0 ? .unsigned(UInt64(value)) : .negative(UInt64(-1 - value))
    }

    /// The item as an `Int64`, if it is an integer in its range.
    public var integer: Int64? {
        switch self {
        case .unsigned(let value): value <= UInt64(Int64.max) ? Int64(value) : nil
        case .negative(let value): value <= UInt64(Int64.max) ? -1 - Int64(value) : nil
        default: nil
        }
    }

    /// The bytes of a byte string.
    public var byteString: [UInt8]? {
        if case .bytes(let bytes) = self { bytes } else { nil }
    }

    /// The text of a text string.
    public var textString: String? {
        if case .text(let text) = self { text } else { nil }
    }

    /// The entries of a map.
    public var entries: [Entry]? {
        if case .map(let entries) = self { entries } else { nil }
    }

    /// Whether two map keys are the same: integers by value, text by its bytes (Swift's `==` on
    /// strings would also equate canonically equivalent spellings).
    fileprivate func isSameKey(as other: CBOR) -> Bool {
        switch (self, other) {
        case (.text(let a), .text(let b)): Array(a.utf8) == Array(b.utf8)
        default: self == other
        }
    }

    /// Reads items off a byte array, never past its end.
    private struct Reader {
        let bytes: [UInt8]
        var offset = 0

        var remaining: Int { bytes.count - offset }

        mutating func byte() throws(DecodingError) -> UInt8 {
            guard offset < bytes.count else { throw DecodingError(description: "unexpected end of input") }
            defer { offset += 1 }
            return bytes[offset]
        }

        mutating func take(_ count: Int) throws(DecodingError) -> [UInt8] {
            guard count <= remaining else { throw DecodingError(description: "a length of \(count) runs past the end") }
            defer { offset += count }
            return Array(bytes[offset..<offset + count])
        }

        /// The argument of a head whose additional information is `info` (definite lengths only).
        mutating func argument(_ info: UInt8) throws(DecodingError) -> UInt64 {
            switch info {
            case 0..<24: return UInt64(info)
            case 24: return UInt64(try byte())
            case 25, 26, 27:
                let width = 1 << (info - 24)
                var value: UInt64 = 0
                for _ in 0..<width { value = value << 8 | UInt64(try byte()) }
                return value
            case 31: throw DecodingError(description: "indefinite lengths are not accepted")
            default: throw DecodingError(description: "reserved additional information \(info)")
            }
        }

        /// A declared length or count, refused when more than the bytes left could hold.
        mutating func length(_ info: UInt8) throws(DecodingError) -> Int {
            let value = try argument(info)
            guard value <= UInt64(remaining) else { throw DecodingError(description: "a length of \(value) runs past the end") }
            return Int(value)
        }

        mutating func item(depth: Int) throws(DecodingError) -> CBOR {
            let head = try byte()
            let major = head >> 5
            let info = head & 0x1F
            switch major {
            case 0:
                return .unsigned(try argument(info))
            case 1:
                return .negative(try argument(info))
            case 2:
                return .bytes(try take(try length(info)))
            case 3:
                let raw = try take(try length(info))
                guard let text = String(validating: raw, as: UTF8.self) else { throw DecodingError(description: "text is not UTF-8") }
                return .text(text)
            case 4, 5:
                guard depth < CBOR.maximumDepth else { throw DecodingError(description: "nested deeper than \(CBOR.maximumDepth)") }
                let count = try length(info)
                guard count <= CBOR.maximumCount else { throw DecodingError(description: "\(count) entries are too many") }
                if major == 4 {
                    var items: [CBOR] = []
                    items.reserveCapacity(count)
                    for _ in 0..<count { items.append(try item(depth: depth + 1)) }
                    return .array(items)
                }
                var entries: [Entry] = []
                entries.reserveCapacity(count)
                for _ in 0..<count {
                    let key = try item(depth: depth + 1)
                    switch key {
                    case .unsigned, .negative, .text: break
                    default: throw DecodingError(description: "a map key must be an integer or text")
                    }
                    guard !entries.contains(where: { $0.key.isSameKey(as: key) }) else { throw DecodingError(description: "a map key appears twice") }
                    entries.append(Entry(key, try item(depth: depth + 1)))
                }
                return .map(entries)
            case 6:
                throw DecodingError(description: "tags are not accepted")
            default:
                switch info {
                case 20: return .bool(false)
                case 21: return .bool(true)
                case 22: return .null
                default: throw DecodingError(description: "simple value or float \(info) is not accepted")
                }
            }
        }
    }
}
