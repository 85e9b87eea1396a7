public import HTTPTypes
import PortcullisCore

/// Works out the client's address for throttling and the device list.
///
/// The socket peer is the client unless it is a trusted proxy; then `X-Forwarded-For` is read
/// from the right, skipping trusted proxies, and the first other address is the client
/// (a client can prepend anything it likes, so the leftmost entries are never believed).
public struct ClientAddressResolver: Sendable {
    private let trustedProxies: [AddressRange]

    /// A resolver trusting `X-Forwarded-For` only from `trustedProxies`.
    public init(trustedProxies: [AddressRange]) {
        self.trustedProxies = trustedProxies
    }

    /// The client address of a request from `peer` with `headers`, in canonical form (an
    /// IPv4-mapped IPv6 peer is reported as the IPv4 address it is).
    public func resolve(peer: String?, headers: HTTPFields) -> String? {
        guard let peer = peer.map(Self.canonical), isTrusted(peer) else { return peer.map(Self.canonical) }
        let forwarded = headers[values: .forwardedFor]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces }
        for hop in forwarded.reversed() {
            guard let address = IPAddress(hop) else { return peer }
            if !isTrusted(address.description) { return address.description }
        }
        return forwarded.first.map(Self.canonical) ?? peer
    }

    /// Whether connections from `address` are a trusted proxy's (and so carry many clients).
    public func isTrustedProxy(_ address: String) -> Bool { isTrusted(Self.canonical(address)) }

    private static func canonical(_ address: String) -> String {
        IPAddress(address)?.description ?? address
    }

    private func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}
