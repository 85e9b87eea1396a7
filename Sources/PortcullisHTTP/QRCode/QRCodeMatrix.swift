/// The modules of a QR code symbol: the function patterns (finders, separators, timing,
/// alignment, the dark module, format and version information), the codewords placed in the
/// two-column zigzag, and the data mask (ISO/IEC 18004 §7.7 to §7.10).
struct QRCodeMatrix {
    private let size: Int
    private var dark: [Bool]
    /// Modules of function patterns, which data and masks leave alone.
    private var reserved: [Bool]

    /// The modules of a `version` symbol holding `codewords`, masked with `mask` or, when it is
    /// `nil`, with the mask of least penalty; and the mask used.
    static func draw(version: Int, codewords: [UInt8], mask: Int?) -> (mask: Int, modules: [Bool]) {
        var base = QRCodeMatrix(version: version)
        base.place(codewords)
        if let mask {
            var matrix = base
            matrix.apply(mask: mask, version: version)
            return (mask, matrix.dark)
        }
        var best: (penalty: Int, mask: Int, modules: [Bool])?
        for candidate in 0..<8 {
            var matrix = base
            matrix.apply(mask: candidate, version: version)
            let penalty = matrix.penalty
            if best == nil || penalty < best!.penalty { best = (penalty, candidate, matrix.dark) }
        }
        return (best!.mask, best!.modules)
    }

    private init(version: Int) {
        size = 17 + 4 * version
        dark = Array(repeating: false, count: size * size)
        reserved = Array(repeating: false, count: size * size)
        for (row, column) in [(0, 0), (0, size - 7), (size - 7, 0)] { drawFinder(row: row, column: column) }
        for index in 8..<(size - 8) {
            set(row: 6, column: index, index % 2 == 0)
            set(row: index, column: 6, index % 2 == 0)
        }
        let centres = Self.alignmentCentres(version: version, size: size)
        for row in centres {
            for column in centres where !(row == 6 && column == 6) && !(row == 6 && column == size - 7) && !(row == size - 7 && column == 6) {
                drawAlignment(row: row, column: column)
            }
        }
        // Format information (written with the mask) and the dark module.
        for index in 0..<9 {
            reserve(row: 8, column: index)
            reserve(row: index, column: 8)
        }
        for index in 0..<8 {
            reserve(row: 8, column: size - 1 - index)
            reserve(row: size - 1 - index, column: 8)
        }
        set(row: size - 8, column: 8, true)
        if version >= 7 { drawVersion(version) }
    }

    // MARK: Function patterns

    private mutating func drawFinder(row: Int, column: Int) {
        for dy in -1...7 {
            for dx in -1...7 {
                let (r, c) = (row + dy, column + dx)
                guard r >= 0, r < size, c >= 0, c < size else { continue }
                let ring = max(abs(dy - 3), abs(dx - 3))
                set(row: r, column: c, ring != 2 && ring != 4)
            }
        }
    }

    private mutating func drawAlignment(row: Int, column: Int) {
        for dy in -2...2 {
            for dx in -2...2 { set(row: row + dy, column: column + dx, max(abs(dy), abs(dx)) != 1) }
        }
    }

    /// The 18-bit version information (6 bits of version, 12 of BCH code), twice.
    private mutating func drawVersion(_ version: Int) {
        var remainder = version
        for _ in 0..<12 { remainder = (remainder << 1) ^ ((remainder >> 11) * 0x1F25) }
        let bits = version << 12 | remainder
        for index in 0..<18 {
            let bit = (bits >> index) & 1 == 1
            let (a, b) = (index / 3, size - 11 + index % 3)
            set(row: a, column: b, bit)
            set(row: b, column: a, bit)
        }
    }

    /// The 15-bit format information (level M is 00, then the mask; BCH code; XOR 0x5412), twice.
    private mutating func drawFormat(mask: Int) {
        let data = 0b00 << 3 | mask
        var remainder = data
        for _ in 0..<10 { remainder = (remainder << 1) ^ ((remainder >> 9) * 0x537) }
        let bits = (data << 10 | remainder) ^ 0x5412
        func bit(_ index: Int) -> Bool { (bits >> index) & 1 == 1 }
        for index in 0...5 { dark[index * size + 8] = bit(index) }
        dark[7 * size + 8] = bit(6)
        dark[8 * size + 8] = bit(7)
        dark[8 * size + 7] = bit(8)
        for index in 9..<15 { dark[8 * size + 14 - index] = bit(index) }
        for index in 0..<8 { dark[8 * size + size - 1 - index] = bit(index) }
        for index in 8..<15 { dark[(size - 15 + index) * size + 8] = bit(index) }
    }

    /// Where the alignment patterns' centres lie on each axis, for version 2 and above.
    static func alignmentCentres(version: Int, size: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = (version * 8 + count * 3 + 5) / (count * 4 - 4) * 2
        var centres = [6]
        for index in (0..<(count - 1)).reversed() { centres.append(size - 7 - index * step) }
        return centres
    }

    // MARK: Data

    /// The codewords' bits, most significant first, up and down two-column strips from the
    /// right, skipping the vertical timing column and every reserved module.
    private mutating func place(_ codewords: [UInt8]) {
        var bitIndex = 0
        let totalBits = codewords.count * 8
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vertical in 0..<size {
                for offset in 0..<2 {
                    let column = right - offset
                    let upward = ((right + 1) & 2) == 0
                    let row = upward ? size - 1 - vertical : vertical
                    guard !reserved[row * size + column] else { continue }
                    if bitIndex < totalBits {
                        dark[row * size + column] = (codewords[bitIndex >> 3] >> (7 - UInt8(bitIndex & 7))) & 1 == 1
                        bitIndex += 1
                    }
                }
            }
            right -= 2
        }
    }

    private mutating func apply(mask: Int, version: Int) {
        for row in 0..<size {
            for column in 0..<size where !reserved[row * size + column] {
                let flip =
                    switch mask {
                    case 0: (row + column) % 2 == 0
                    case 1: row % 2 == 0
                    case 2: column % 3 == 0
                    case 3: (row + column) % 3 == 0
                    case 4: (row / 2 + column / 3) % 2 == 0
                    case 5: (row * column) % 2 + (row * column) % 3 == 0
                    case 6: ((row * column) % 2 + (row * column) % 3) % 2 == 0
                    default: ((row + column) % 2 + (row * column) % 3) % 2 == 0
                    }
                if flip { dark[row * size + column].toggle() }
            }
        }
        drawFormat(mask: mask)
    }

    // MARK: Penalty

    /// The standard's penalty for a masked symbol (§7.8.3): long runs, 2×2 blocks, finder-like
    /// patterns, and imbalance between dark and light.
    private var penalty: Int {
        var total = 0
        for line in 0..<size {
            let row = (0..<size).map { dark[line * size + $0] }
            let column = (0..<size).map { dark[$0 * size + line] }
            total += Self.runPenalty(row) + Self.finderPenalty(row)
            total += Self.runPenalty(column) + Self.finderPenalty(column)
        }
        for row in 0..<(size - 1) {
            for column in 0..<(size - 1) {
                let colour = dark[row * size + column]
                if dark[row * size + column + 1] == colour, dark[(row + 1) * size + column] == colour, dark[(row + 1) * size + column + 1] == colour {
                    total += 3
                }
            }
        }
        let darkCount = dark.count { $0 }
        let deviation = abs(darkCount * 20 - size * size * 10)
        total += (deviation + size * size - 1) / (size * size) - 1 > 0 ? ((deviation + size * size - 1) / (size * size) - 1) * 10 : 0
        return total
    }

    /// Runs of five or more modules of one colour: 3, plus 1 per module beyond five.
    private static func runPenalty(_ line: [Bool]) -> Int {
        var total = 0
        var run = 1
        for index in 1...line.count {
            if index < line.count, line[index] == line[index - 1] {
                run += 1
            } else {
                if run >= 5 { total += run - 2 }
                run = 1
            }
        }
        return total
    }

    /// Dark-light-dark-dark-dark-light-dark with four light modules on either side (the margin
    /// around the symbol counting as light): 40 each.
    private static func finderPenalty(_ line: [Bool]) -> Int {
        let padded = Array(repeating: false, count: 4) + line + Array(repeating: false, count: 4)
        let core: [Bool] = [true, false, true, true, true, false, true]
        let light = [Bool](repeating: false, count: 4)
        var total = 0
        for start in 0...(padded.count - 11) {
            let window = Array(padded[start..<start + 11])
            if Array(window[0..<7]) == core, Array(window[7..<11]) == light { total += 40 }
            if Array(window[0..<4]) == light, Array(window[4..<11]) == core { total += 40 }
        }
        return total
    }

    // MARK: Modules

    private mutating func set(row: Int, column: Int, _ isDark: Bool) {
        dark[row * size + column] = isDark
        reserved[row * size + column] = true
    }

    private mutating func reserve(row: Int, column: Int) {
        reserved[row * size + column] = true
    }
}
