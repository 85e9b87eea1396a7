import Foundation
import PortcullisCore
import PortcullisTesting
import Testing

/// The strict CBOR decoder that reads authenticators' attestation objects and keys: RFC 8949's
/// own examples, and everything it must refuse because its bytes come from the network.
@Suite("CBOR decoding")
struct CBORTests {
    /// RFC 8949 Appendix A, the examples within the subset WebAuthn needs.
    @Test(arguments: [
        // Unsigned integers, each width of the head.
        ("00", CBOR.unsigned(0)), ("01", .unsigned(1)), ("0a", .unsigned(10)), ("17", .unsigned(23)), ("1818", .unsigned(24)),
        ("1819", .unsigned(25)), ("1864", .unsigned(100)), ("1903e8", .unsigned(1000)), ("1a000f4240", .unsigned(1_000_000)),
        ("1b000000e8d4a51000", .unsigned(1_000_000_000_000)), ("1bffffffffffffffff", .unsigned(UInt64.max)),
        // Negative integers: -1 - n.
        ("3bffffffffffffffff", .negative(UInt64.max)), ("20", .negative(0)), ("29", .negative(9)), ("3863", .negative(99)),
        ("3903e7", .negative(999)),
        // Simple values.
        ("f4", .bool(false)), ("f5", .bool(true)), ("f6", .null),
        // Byte and text strings.
        ("40", .bytes([])), ("4401020304", .bytes([1, 2, 3, 4])), ("60", .text("")), ("6161", .text("a")), ("6449455446", .text("IETF")),
        ("62225c", .text("\"\\")), ("62c3bc", .text("\u{00FC}")), ("63e6b0b4", .text("\u{6C34}")), ("64f0908591", .text("\u{10151}")),
        // Arrays.
        ("80", .array([])), ("83010203", .array([.unsigned(1), .unsigned(2), .unsigned(3)])),
        ("8301820203820405", .array([.unsigned(1), .array([.unsigned(2), .unsigned(3)]), .array([.unsigned(4), .unsigned(5)])])),
        ("98190102030405060708090a0b0c0d0e0f101112131415161718181819", .array((1...25).map { CBOR.unsigned($0) })),
        // Maps, their entries in the order encoded.
        ("a0", .map([])), ("a201020304", .map([.init(.unsigned(1), .unsigned(2)), .init(.unsigned(3), .unsigned(4))])),
        ("a26161016162820203", .map([.init(.text("a"), .unsigned(1)), .init(.text("b"), .array([.unsigned(2), .unsigned(3)]))])),
        ("826161a161626163", .array([.text("a"), .map([.init(.text("b"), .text("c"))])])),
        (
            "a56161614161626142616361436164614461656145",
            .map(["a", "b", "c", "d", "e"].map { CBOR.Entry(.text($0), .text($0.uppercased())) })
        ),
    ])
    func rfc8949Examples(hex: String, expected: CBOR) throws {
        #expect(try CBOR.decode(Self.bytes(hex)) == expected)
        #expect(try CBOR.decodePrefix(Self.bytes(hex)).consumed == hex.count / 2)
    }

    @Test func integersReadAsInt64WithinItsRange() throws {
        #expect(try CBOR.decode(Self.bytes("3903e7")).integer == -1000)
        #expect(try CBOR.decode(Self.bytes("1b7fffffffffffffff")).integer == Int64.max)
        #expect(try CBOR.decode(Self.bytes("3b7fffffffffffffff")).integer == Int64.min)
        #expect(try CBOR.decode(Self.bytes("1b8000000000000000")).integer == nil)
        #expect(try CBOR.decode(Self.bytes("3b8000000000000000")).integer == nil)
        #expect(CBOR(-1000) == .negative(999) && CBOR(0) == .unsigned(0) && CBOR(Int64.min) == .negative(UInt64(Int64.max)))
        #expect(CBOR.text("1").integer == nil && CBOR.bytes([1]).textString == nil && CBOR.unsigned(1).byteString == nil)
        let map = try CBOR.decode(Self.bytes("a301616120616261634141"))
        #expect(map[1] == .text("a") && map[-1] == .text("b") && map["c"]?.byteString == [0x41] && map[2] == nil)
        #expect(CBOR.array([.unsigned(1)])[0] == nil)
    }

    /// What a strict decoder must refuse, by RFC 8949's own examples where it has one.
    @Test(arguments: [
        // Indefinite lengths (with and without their break).
        "5f42010243030405ff", "7f657374726561646d696e67ff", "9fff", "9f018202039f0405ffff", "83018202039f0405ff",
        "bf61610161629f0203ffff", "bf6346756ef563416d7421ff", "5f", "7f", "9f", "bf", "ff",
        // Tags, also inside a container, and the bignums they would carry.
        "c074323031332d30332d32315432303a30343a30305a", "c11a514b67b0", "d74401020304",
        "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "c249010000000000000000", "c349010000000000000000", "81c000", "a101c000",
        // Floating point, half to double.
        "f90000", "f98000", "f93c00", "f97bff", "f97c00", "f97e00", "fa47c35000", "fa7f800000", "fb3ff199999999999a",
        // Undefined and other simple values.
        "f7", "f0", "f3", "f8ff", "f818", "8201f7",
        // Reserved additional information 28 to 30, in every major type.
        "1c", "1d", "1e", "3c", "5d", "7e", "9c", "bd", "dc", "fc", "fd", "fe",
        // Cut short.
        "", "18", "1900", "1a000000", "1b00000000000000", "44010203", "62c3", "830102", "a2010203", "a101", "8181",
        // Trailing bytes.
        "0000", "8001", "a0a0", "f6f6", "4100ff",
        // Duplicate map keys, also encoded differently.
        "a201020103", "a2616101616102", "a220012002", "a20102180103", "a3010203040105",
        // Map keys other than integers and text.
        "a14001", "a18001", "a1a001", "a1f501", "a1f601",
        // Text that is not UTF-8: a lone continuation, an invalid byte, a surrogate, an overlong form.
        "6180", "61ff", "62c328", "63eda080", "62c0af", "a16280ff01",
    ])
    func refuses(hex: String) {
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(Self.bytes(hex)) }
    }

    /// A length no input could hold is refused from the head alone: a decoder that allocated
    /// first would fail for memory, or crash.
    @Test(arguments: [
        "5b8000000000000000", "5bffffffffffffffff", "7b8000000000000000", "7bffffffffffffffff", "9b8000000000000000",
        "9bffffffffffffffff", "bb8000000000000000", "bbffffffffffffffff", "5affffffff00", "9a0001000001", "5818000102", "b9ffff0102",
    ])
    func refusesALengthBeyondTheInput(hex: String) {
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(Self.bytes(hex)) }
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decodePrefix(Self.bytes(hex)) }
    }

    @Test func nestingIsBoundedAtTheMaximumDepth() throws {
        let depth = CBOR.maximumDepth
        // Arrays, maps, and a mix, exactly as deep as allowed.
        let arrays = Self.bytes(String(repeating: "81", count: depth) + "00")
        var expected = CBOR.unsigned(0)
        for _ in 0..<depth { expected = .array([expected]) }
        #expect(try CBOR.decode(arrays) == expected)
        #expect(try CBOR.decode(Self.bytes(String(repeating: "a101", count: depth) + "00"))[1] != nil)
        var mixed = CBOR.unsigned(0)
        for _ in 0..<depth / 2 { mixed = .array([.map([.init(.unsigned(1), mixed)])]) }
        #expect(try CBOR.decode(Self.bytes(String(repeating: "81a101", count: depth / 2) + "00")) == mixed)
        // One level deeper, and far deeper (which must not exhaust the stack either).
        for hex in [
            String(repeating: "81", count: depth + 1) + "00", String(repeating: "a101", count: depth + 1) + "00",
            String(repeating: "81a101", count: depth / 2) + "8100", String(repeating: "81", count: 100_000) + "00",
        ] {
            #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(Self.bytes(hex)) }
        }
    }

    @Test func containersAreBoundedAtTheMaximumCount() throws {
        let most = CBOR.maximumCount
        let full = CBORWriter.head(4, UInt64(most)) + Array(repeating: 0, count: most)
        #expect(try CBOR.decode(full) == .array(Array(repeating: .unsigned(0), count: most)))
        let over = CBORWriter.head(4, UInt64(most + 1)) + Array(repeating: 0, count: most + 1)
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(over) }
        // Maps of distinct integer keys, each to null.
        func map(_ count: Int) -> [UInt8] {
            CBORWriter.head(5, UInt64(count)) + (0..<count).flatMap { CBORWriter.encode(.integer(Int64($0))) + [0xF6] }
        }
        #expect(try CBOR.decode(map(most)).entries?.count == most)
        #expect(throws: CBOR.DecodingError.self) { try CBOR.decode(map(most + 1)) }
    }

    @Test func decodePrefixAnswersTheBytesItTook() throws {
        for (hex, item, consumed) in [
            ("0102", CBOR.unsigned(1), 1), ("83010203ff", .array([.unsigned(1), .unsigned(2), .unsigned(3)]), 4), ("a0ffff", .map([]), 1),
            ("5818" + String(repeating: "ab", count: 24) + "00", .bytes(Array(repeating: 0xAB, count: 24)), 26),
        ] {
            let prefix = try CBOR.decodePrefix(Self.bytes(hex))
            #expect(prefix.item == item && prefix.consumed == consumed, "\(hex)")
        }
        // A slice that does not start at index zero, as authenticator data hands it over.
        let data = Self.bytes("000000a1616101f6")
        let prefix = try CBOR.decodePrefix(data[3...])
        #expect(prefix.item == .map([.init(.text("a"), .unsigned(1))]) && prefix.consumed == 4)
        // The prefix itself must be acceptable.
        for hex in ["", "9f00ff", "c000", "f97e00", "a2010201030000"] {
            #expect(throws: CBOR.DecodingError.self) { try CBOR.decodePrefix(Self.bytes(hex)) }
        }
    }

    @Test func whatTheTestEncoderWritesDecodesToTheSameItem() throws {
        #expect(CBORWriter.encode(.array([1, .array([2, 3]), .array([4, 5])])) == Self.bytes("8301820203820405"))
        #expect(CBORWriter.encode(.map([.init("a", 1), .init("b", .array([2, 3]))])) == Self.bytes("a26161016162820203"))
        #expect(CBORWriter.encode(.integer(-1000)) == Self.bytes("3903e7"))
        #expect(CBORWriter.encode(.integer(Int64.min)) == Self.bytes("3b7fffffffffffffff"))
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let (item, expected) = Self.randomItem(depth: 0, using: &generator)
            let encoded = CBORWriter.encode(item)
            #expect(try CBOR.decode(encoded) == expected)
            #expect(try CBOR.decodePrefix(encoded + [0xFF]).consumed == encoded.count)
        }
    }

    // MARK: - Helpers

    /// The bytes of a hex string.
    static func bytes(_ hex: String) -> [UInt8] {
        let digits = Array(hex.utf8)
        return stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    static let sampleIntegers: [Int64] = [
        0, 1, 23, 24, 255, 256, 65535, 65536, 4_294_967_295, 4_294_967_296, Int64.max, -1, -24, -25, -256, -257, -65536, -65537,
        -4_294_967_296, -4_294_967_297, Int64.min,
    ]
    static let sampleTexts = [
        "", "a", "IETF", "ü水𐅑", "😀 emoji", String(repeating: "x", count: 23), String(repeating: "y", count: 24), String(repeating: "é", count: 200),
    ]

    /// An item for the test encoder and the item the decoder must answer for it.
    static func randomItem(depth: Int, using generator: inout some RandomNumberGenerator) -> (CBORWriter.Item, CBOR) {
        let kinds = depth < 4 ? 6 : 4
        switch Int.random(in: 0..<kinds, using: &generator) {
        case 0:
            let value = sampleIntegers.randomElement(using: &generator)!
            return (.integer(value), CBOR(value))
        case 1:
            let value = Int64.random(in: Int64.min...Int64.max, using: &generator)
            return (.integer(value), CBOR(value))
        case 2:
            let bytes = (0..<[0, 1, 23, 24, 255, 256, 300].randomElement(using: &generator)!).map { _ in UInt8.random(in: 0...255, using: &generator)
            }
            return (.bytes(bytes), .bytes(bytes))
        case 3:
            let text = sampleTexts.randomElement(using: &generator)!
            return (.text(text), .text(text))
        case 4:
            let items = (0..<Int.random(in: 0...4, using: &generator)).map { _ in randomItem(depth: depth + 1, using: &generator) }
            return (.array(items.map(\.0)), .array(items.map(\.1)))
        default:
            var written: [CBORWriter.Item.Entry] = []
            var expected: [CBOR.Entry] = []
            for index in 0..<Int.random(in: 0...4, using: &generator) {
                let (item, value) = randomItem(depth: depth + 1, using: &generator)
                if Bool.random(using: &generator) {
                    let label = Int64(index) - 2
                    written.append(.init(label, item))
                    expected.append(.init(CBOR(label), value))
                } else {
                    written.append(.init("k\(index)", item))
                    expected.append(.init(.text("k\(index)"), value))
                }
            }
            return (.map(written), .map(expected))
        }
    }
}
