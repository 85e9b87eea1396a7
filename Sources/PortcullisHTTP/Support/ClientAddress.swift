public import HTTPTypes

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

    /// The client address of a request from `peer` with `headers`.
    public func resolve(peer: String?, headers: HTTPFields) -> String? {
        guard let peer, isTrusted(peer) else { return peer }
        let forwarded = headers[values: .forwardedFor]
            .flatMap { $0.split(separator: ",") }
            .map { $0.trimmingSpaces }
        for hop in forwarded.reversed() {
            guard AddressRange.parse(hop) != nil else { return peer }
            if !isTrusted(hop) { return hop }
        }
        return forwarded.first ?? peer
    }

    private func isTrusted(_ address: String) -> Bool {
        trustedProxies.contains { $0.contains(address) }
    }
}
