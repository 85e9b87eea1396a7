/// Comparison whose running time does not depend on where two byte strings differ.
public enum ConstantTime {
    /// `true` when `lhs` and `rhs` are equal. Runs in time proportional to the longer input, so it
    /// leaks only lengths, never the position of the first difference.
    public static func equals(_ lhs: some Collection<UInt8>, _ rhs: some Collection<UInt8>) -> Bool {
        var difference = UInt8(truncatingIfNeeded: lhs.count ^ rhs.count)
        var left = lhs.makeIterator()
        var right = rhs.makeIterator()
        for _ in 0..<max(lhs.count, rhs.count) {
            difference |= (left.next() ?? 0) ^ (right.next() ?? 0)
        }
        return difference == 0 && lhs.count == rhs.count
    }
}
