/// The codewords of a QR code at error correction level M: the data bits in byte mode, padded,
/// split into blocks, each followed by its Reed–Solomon error correction, and interleaved
/// (ISO/IEC 18004 §7.4 to §7.6).
struct QRCodeBlocks {
    /// The largest version supported, and the level-M block structure of each version from 1:
    /// error correction codewords per block, then (blocks, data codewords per block) for the
    /// shorter and the longer blocks (Table 9 of the standard).
    static let largestVersion = 20
    private static let structure: [(ecPerBlock: Int, short: (count: Int, data: Int), long: (count: Int, data: Int))] = [
        (10, (1, 16), (0, 0)), (16, (1, 28), (0, 0)), (26, (1, 44), (0, 0)), (18, (2, 32), (0, 0)), (24, (2, 43), (0, 0)),
        (16, (4, 27), (0, 0)), (18, (4, 31), (0, 0)), (22, (2, 38), (2, 39)), (22, (3, 36), (2, 37)), (26, (4, 43), (1, 44)),
        (30, (1, 50), (4, 51)), (22, (6, 36), (2, 37)), (22, (8, 37), (1, 38)), (24, (4, 40), (5, 41)), (24, (5, 41), (5, 42)),
        (28, (7, 45), (3, 46)), (28, (10, 46), (1, 47)), (26, (9, 43), (4, 44)), (26, (3, 44), (11, 45)), (26, (3, 41), (13, 42)),
    ]

    let version: Int
    private var layout: (ecPerBlock: Int, short: (count: Int, data: Int), long: (count: Int, data: Int)) {
        Self.structure[version - 1]
    }

    /// Data codewords the version holds at level M.
    var dataCodewords: Int { layout.short.count * layout.short.data + layout.long.count * layout.long.data }

    /// Bits of the character count in byte mode.
    private var countBits: Int { version < 10 ? 8 : 16 }

    /// Whether `bytes` bytes fit: the mode indicator, the count and the data within the data codewords.
    func dataCapacity(bytes: Int) -> Bool {
        bytes < 1 << countBits && 4 + countBits + 8 * bytes <= 8 * dataCodewords
    }

    /// Every codeword in the order it is placed in the symbol.
    func codewords(for bytes: [UInt8]) -> [UInt8] {
        let data = dataStream(bytes)
        var blocks: [[UInt8]] = []
        var offset = 0
        for (count, length) in [layout.short, layout.long] {
            for _ in 0..<count {
                blocks.append(Array(data[offset..<offset + length]))
                offset += length
            }
        }
        let corrections = blocks.map { ReedSolomon.remainder(of: $0, degree: layout.ecPerBlock) }
        var result: [UInt8] = []
        for index in 0..<(blocks.map(\.count).max() ?? 0) {
            for block in blocks where index < block.count { result.append(block[index]) }
        }
        for index in 0..<layout.ecPerBlock {
            for correction in corrections { result.append(correction[index]) }
        }
        return result
    }

    /// Mode indicator 0100 (bytes), the count, the bytes, a terminator of up to four zero bits,
    /// zeros to the byte, then the pad codewords 0xEC and 0x11 in turn.
    private func dataStream(_ bytes: [UInt8]) -> [UInt8] {
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: countBits)
        for byte in bytes { bits.append(Int(byte), count: 8) }
        let capacity = 8 * dataCodewords
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var codewords = bits.bytes
        var pad: UInt8 = 0xEC
        while codewords.count < dataCodewords {
            codewords.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        return codewords
    }
}

/// Bits appended most significant first.
private struct BitBuffer {
    private(set) var bytes: [UInt8] = []
    private(set) var count = 0

    mutating func append(_ value: Int, count bitCount: Int) {
        for shift in stride(from: bitCount - 1, through: 0, by: -1) {
            if count % 8 == 0 { bytes.append(0) }
            if (value >> shift) & 1 == 1 { bytes[bytes.count - 1] |= 0x80 >> UInt8(count % 8) }
            count += 1
        }
    }
}
