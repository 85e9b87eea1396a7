/// The cost of one scrypt password hash.
public struct ScryptParameters: Sendable, Hashable {
    /// log2 of N, the CPU/memory cost.
    public var logN: Int
    /// r, the block size.
    public var blockSize: Int
    /// p, the parallelism.
    public var parallelism: Int

    /// Creates a parameter set.
    public init(logN: Int, blockSize: Int, parallelism: Int) {
        self.logN = logN
        self.blockSize = blockSize
        self.parallelism = parallelism
    }

    /// OWASP Password Storage Cheat Sheet's first scrypt set: N=2^17, r=8, p=1 (128 MiB per hash).
    public static let owasp = ScryptParameters(logN: 17, blockSize: 8, parallelism: 1)

    /// Bytes of memory one hash needs: 128·N·r.
    public var memoryBytes: Int { 128 * (1 << logN) * blockSize }

    /// Whether hashes made with `self` are weaker than ones made with `other` in any dimension.
    public func isWeaker(than other: ScryptParameters) -> Bool {
        logN < other.logN || blockSize < other.blockSize || parallelism < other.parallelism
    }
}
