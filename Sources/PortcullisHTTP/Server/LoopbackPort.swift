import Foundation
import Synchronization

/// Free TCP ports on 127.0.0.1, for servers started in process (by tests, and by
/// `portcullis compare`) that must name their port before they listen, for example in their
/// issuer URL.
public enum LoopbackPort {
    /// Ports handed out in this process, never handed out again: a server that stops and starts on
    /// its port again must not find it given to another test in between.
    private static let handedOut = Mutex<Set<Int>>([])

    /// A port nothing listens on right now and not handed out before in this process: the kernel's
    /// pick for an ephemeral bind, released again. Another process could take it before the caller
    /// binds it; on loopback that race is remote enough.
    public static func free() throws -> Int {
        for _ in 0..<100 {
            let port = try kernelPick()
            if handedOut.withLock({ $0.insert(port).inserted }) { return port }
        }
        throw POSIXError(.EADDRINUSE)
    }

    private static func kernelPick() throws -> Int {
        let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
