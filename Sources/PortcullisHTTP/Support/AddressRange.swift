public import PortcullisCore

/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `::1/128`, or a bare address).
///
/// IPv4-mapped IPv6 addresses and ranges (`::ffff:10.0.0.0/104`) are their IPv4 equivalents, so a
/// proxy reached over a dual-stack socket matches the IPv4 range it was configured with.
public struct AddressRange: Sendable, Hashable, CustomStringConvertible {
    private let network: IPAddress
    private let prefixLength: Int

    /// Parses CIDR notation; `nil` when malformed.
    public init?(_ text: String) {
        let parts = text.trimmingSpaces.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), let address = IPAddress(parts[0]) else { return nil }
        // A mapped range was written in IPv6 bits; its address is now IPv4, so drop the 96 mapping bits.
        let writtenBits = parts[0].contains(":") ? 128 : 32
        let mappingBits = writtenBits - address.bytes.count * 8
        if parts.count == 2 {
            guard let length = Int(parts[1]), (mappingBits...writtenBits).contains(length) else { return nil }
            prefixLength = length - mappingBits
        } else {
            prefixLength = address.bytes.count * 8
        }
        network = address
    }

    /// Whether `address` (textual IPv4 or IPv6) lies in this range.
    public func contains(_ address: String) -> Bool {
        guard let bytes = IPAddress(address)?.bytes, bytes.count == network.bytes.count else { return false }
        var remaining = prefixLength
        for index in bytes.indices where remaining > 0 {
            let take = min(8, remaining)
            let mask: UInt8 = take == 8 ? 0xFF : ~(0xFF >> UInt8(take))
            if bytes[index] & mask != network.bytes[index] & mask { return false }
            remaining -= take
        }
        return true
    }

    public var description: String { "\(network)/\(prefixLength)" }
}
