/// Unpadded base64 (RFC 4648) in its two alphabets, written out so decoding is strict: padding,
/// whitespace and characters of the other alphabet are refused, never skipped.
public enum Base64 {
    /// Which 64 characters encode the sextets.
    public enum Alphabet: Sendable {
        /// `A–Z a–z 0–9 + /`: the PHC string format's.
        case standard
        /// `A–Z a–z 0–9 - _`: URL- and cookie-safe, used for every secret Portcullis hands out.
        case url

        fileprivate var characters: [UInt8] {
            Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
                + (self == .url ? [UInt8(ascii: "-"), UInt8(ascii: "_")] : [UInt8(ascii: "+"), UInt8(ascii: "/")])
        }

        fileprivate var reverse: [UInt8] {
            var table = [UInt8](repeating: 0xFF, count: 256)
            for (index, character) in characters.enumerated() { table[Int(character)] = UInt8(index) }
            return table
        }
    }

    private static let urlCharacters = Alphabet.url.characters
    private static let standardCharacters = Alphabet.standard.characters
    private static let urlReverse = Alphabet.url.reverse
    private static let standardReverse = Alphabet.standard.reverse

    /// Encodes bytes without padding.
    public static func encode(_ bytes: some Collection<UInt8>, alphabet: Alphabet = .url) -> String {
        let characters = alphabet == .url ? urlCharacters : standardCharacters
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count * 4 + 2) / 3)
        var iterator = bytes.makeIterator()
        while let first = iterator.next() {
            let second = iterator.next()
            let third = second == nil ? nil : iterator.next()
            let chunk = UInt32(first) << 16 | UInt32(second ?? 0) << 8 | UInt32(third ?? 0)
            output.append(characters[Int(chunk >> 18 & 63)])
            output.append(characters[Int(chunk >> 12 & 63)])
            if second != nil { output.append(characters[Int(chunk >> 6 & 63)]) }
            if third != nil { output.append(characters[Int(chunk & 63)]) }
        }
        return String(decoding: output, as: UTF8.self)
    }

    /// Decodes unpadded base64; `nil` for any character outside the alphabet, an impossible
    /// length, or non-zero trailing bits (so each byte string has exactly one encoding).
    public static func decode(_ text: some StringProtocol, alphabet: Alphabet = .url) -> [UInt8]? {
        decode(bytes: text.utf8, alphabet: alphabet)
    }

    /// Decodes unpadded base64 given as UTF-8 bytes; see ``decode(_:alphabet:)``.
    public static func decode(bytes input: some Collection<UInt8>, alphabet: Alphabet = .url) -> [UInt8]? {
        let reverse = alphabet == .url ? urlReverse : standardReverse
        guard input.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        for character in input {
            let value = reverse[Int(character)]
            guard value != 0xFF else { return nil }
            accumulator = accumulator << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        guard accumulator & ((1 << UInt32(bits)) - 1) == 0 else { return nil }
        return output
    }
}
