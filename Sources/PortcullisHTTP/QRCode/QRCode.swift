import PortcullisCore

/// A QR code (ISO/IEC 18004, model 2) of some bytes, for the authenticator-app enrolment page:
/// byte mode, error correction level M (15% of the symbol may be damaged), versions 1 to 20 (up to
/// 666 bytes), drawn as an SVG on the server. No QR library is available to the project, so the
/// encoder is written here: data encoding and Reed–Solomon blocks (`QRCodeBlocks`), the symbol's
/// fixed patterns, data placement and masking (`QRCodeMatrix`).
public struct QRCode: Sendable, Hashable {
    /// The version, 1 to 20: the symbol is `17 + 4 × version` modules wide.
    public let version: Int
    /// The data mask applied (0 to 7).
    public let mask: Int
    /// Modules per side.
    public var size: Int { 17 + 4 * version }
    /// Whether each module is dark, row by row.
    let modules: [Bool]

    /// Whether the module in `row` and `column` is dark.
    public func isDark(row: Int, column: Int) -> Bool { modules[row * size + column] }

    /// The code for `bytes`, in the smallest version that holds them, with the mask of least
    /// penalty (or `mask`, when given).
    /// - Throws: ``TooLong`` when more than the largest supported version holds.
    public init(bytes: [UInt8], mask: Int? = nil) throws {
        guard let version = (1...QRCodeBlocks.largestVersion).first(where: { QRCodeBlocks(version: $0).dataCapacity(bytes: bytes.count) })
        else { throw TooLong(byteCount: bytes.count) }
        let codewords = QRCodeBlocks(version: version).codewords(for: bytes)
        let (chosenMask, modules) = QRCodeMatrix.draw(version: version, codewords: codewords, mask: mask)
        self.version = version
        self.mask = chosenMask
        self.modules = modules
    }

    /// The code for the UTF-8 bytes of `text`.
    public init(text: String, mask: Int? = nil) throws {
        try self.init(bytes: Array(text.utf8), mask: mask)
    }

    /// The code as an SVG image: one path of dark squares within the four-module light margin the
    /// standard asks for, `moduleSize` pixels per module.
    public func svg(moduleSize: Int = 4, title: String) -> String {
        let side = size + 8
        var path = ""
        for row in 0..<size {
            var column = 0
            while column < size {
                guard isDark(row: row, column: column) else {
                    column += 1
                    continue
                }
                var run = 1
                while column + run < size, isDark(row: row, column: column + run) { run += 1 }
                path += "M\(column + 4) \(row + 4)h\(run)v1h-\(run)z"
                column += run
            }
        }
        return """
            <svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 \(side) \(side)" width="\(side * moduleSize)" \
            height="\(side * moduleSize)" role="img" aria-label="\(HTMLText.escape(title))" shape-rendering="crispEdges">\
            <rect width="\(side)" height="\(side)" fill="#fff"/><path fill="#000" d="\(path)"/></svg>
            """
    }

    /// The bytes do not fit in version 20 at level M.
    public struct TooLong: Error, CustomStringConvertible {
        /// How many bytes were given.
        public let byteCount: Int
        public var description: String { "\(byteCount) bytes do not fit in a QR code of version \(QRCodeBlocks.largestVersion) at level M" }
    }
}
