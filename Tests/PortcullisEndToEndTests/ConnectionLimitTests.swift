import Foundation
import PortcullisTesting
import Testing

/// Slow, idle and hoarded connections against the real executable: none of them keeps anyone
/// else from signing in, and the revocation feed's long-lived streams are left alone.
@Suite("Connection limits", .serialized, .timeLimit(.minutes(3)))
struct ConnectionLimitTests {
    @Test func slowIdleAndHoardedConnectionsAreClosedAndOthersStillSignIn() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(
            in: directory.url,
            arguments: [
                "--header-timeout", "4s", "--idle-timeout", "8s", "--max-connections-per-address", "40",
            ]
        )
        let port = server.port

        // 300 connections from 127.0.0.1 that each send half a request header and stop.
        let connecting = ContinuousClock.now
        let slow = try await offloaded {
            Result { try (0..<300).map { _ in try RawConnection(to: port, from: "127.0.0.1") } }
        }.get()
        await offloaded { for connection in slow { connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ") } }

        // One address holds at most 40: the others are closed as soon as they are accepted, well
        // before the four-second header timeout.
        var closedEarly = 0
        while closedEarly < 260, ContinuousClock.now - connecting < .seconds(3) {
            try await Task.sleep(for: .milliseconds(200))
            closedEarly = await offloaded { slow.filter { $0.isClosed(waiting: .milliseconds(1)) }.count }
        }
        #expect(closedEarly == 260, "\(closedEarly) of 300 closed at once")

        // Another client (127.0.0.2) is served at once, by both a cheap route and a login.
        let started = ContinuousClock.now
        let health = try await offloaded {
            Result { try RawConnection(to: port, from: "127.0.0.2").exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        }.get()
        #expect(health.hasPrefix("HTTP/1.1 200"), "\(health.prefix(40))")
        let body = #"{"email":"ada@example.com","password":"correct horse battery staple"}"#
        let login = try await offloaded {
            Result {
                try RawConnection(to: port, from: "127.0.0.2").exchange(
                    "POST /v1/sessions HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)"
                )
            }
        }.get()
        #expect(login.hasPrefix("HTTP/1.1 201"), "\(login.prefix(40))")
        #expect(ContinuousClock.now - started < .seconds(2))

        // The 40 it holds close after the header timeout.
        try await Task.sleep(until: connecting + .seconds(5.5))
        let stillOpen = await offloaded { slow.filter { !$0.isClosed(waiting: .milliseconds(200)) }.count }
        #expect(stillOpen == 0, "\(stillOpen) slow connections outlived the header timeout")
        await offloaded { for connection in slow { connection.close() } }

        // Between requests a kept-alive connection waits under the idle timeout, not the header
        // timeout (which starts again with the next request's first byte); idle for longer, it closes.
        let idle = try await offloaded { Result { try RawConnection(to: port, from: "127.0.0.3") } }.get()
        let first = await offloaded { idle.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }
        #expect(first.hasPrefix("HTTP/1.1 200"))
        try await Task.sleep(for: .seconds(6))
        #expect(await offloaded { idle.exchange("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n") }.hasPrefix("HTTP/1.1 200"))
        try await Task.sleep(for: .seconds(10))
        #expect(await offloaded { idle.isClosed(waiting: .milliseconds(500)) })
        idle.close()
        try await server.stop()
    }

    @Test func aBodyThatTricklesAndAResponseNobodyReadsAreAbandoned() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--header-timeout", "2s", "--idle-timeout", "3s"])
        // Headers on time, then a body that trickles in a byte a second (so the connection is
        // never idle): closed one header timeout after the headers all the same.
        let trickle = try await offloaded { Result { try RawConnection(to: server.port, from: "127.0.0.1") } }.get()
        await offloaded {
            trickle.send("POST /v1/accounts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{")
        }
        for _ in 0..<4 {
            try await Task.sleep(for: .seconds(1))
            await offloaded { trickle.send(" ") }
        }
        #expect(await offloaded { trickle.isClosed(waiting: .milliseconds(500)) }, "a trickling body held the connection")
        trickle.close()

        // A client that asks for thousands of responses and reads none: its full receive window
        // stalls the server's writes, and the connection is given up after the idle timeout.
        let hoarder = try await offloaded { Result { try RawConnection(to: server.port, from: "127.0.0.1", receiveBuffer: 4096) } }.get()
        await offloaded { hoarder.send(String(repeating: "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n", count: 5000)) }
        try await Task.sleep(for: .seconds(6))
        #expect(await offloaded { hoarder.drainsToEnd(within: .seconds(3)) }, "a connection whose client stopped reading stayed open")
        hoarder.close()
        try await server.stop()
    }

    @Test func revocationStreamsOutliveTheIdleTimeout() async throws {
        let directory = try TemporaryDirectory()
        let client = HardeningProcessTests.json(await PortcullisBinary.run(["clients", "create", "--name", "feed"], in: directory.url).stdout)
        let basic = Data("\(client["client_id"] as? String ?? ""):\(client["client_secret"] as? String ?? "")".utf8).base64EncodedString()
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--header-timeout", "1s", "--idle-timeout", "2s"])
        let stream = try await offloaded { Result { try RawConnection(to: server.port, from: "127.0.0.1") } }.get()
        await offloaded {
            stream.send("GET /v1/revocations/stream HTTP/1.1\r\nHost: x\r\nAuthorization: Basic \(basic)\r\n\r\n")
        }
        let head = await offloaded { stream.receive(waiting: .seconds(2)) }
        #expect(head.hasPrefix("HTTP/1.1 200"))
        // Twice the idle timeout and more: the stream is still open and still speaking (keep-alives every 5 s).
        try await Task.sleep(for: .seconds(6))
        let later = await offloaded { stream.receive(waiting: .seconds(1)) }
        #expect(later.contains("keep-alive"), "\(later)")
        #expect(await offloaded { !stream.isClosed(waiting: .milliseconds(100)) })
        stream.close()
        try await server.stop()
    }
}

/// A blocking TCP connection from a chosen loopback source address, for tests that need sockets
/// a normal HTTP client would never leave half-written. Use from Dispatch threads only.
final class RawConnection: @unchecked Sendable {
    private let descriptor: Int32

    struct Failed: Error, CustomStringConvertible { let description: String }

    init(to port: Int, from source: String, receiveBuffer: Int32? = nil) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failed(description: "socket: \(errno)") }
        if var size = receiveBuffer {
            setsockopt(descriptor, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        }
        var local = sockaddr_in()
        local.sin_family = sa_family_t(AF_INET)
        inet_pton(AF_INET, source, &local.sin_addr)
        var remote = sockaddr_in()
        remote.sin_family = sa_family_t(AF_INET)
        remote.sin_port = in_port_t(UInt16(port).bigEndian)
        inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr)
        let bound = withUnsafePointer(to: &local) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            Glibc.close(descriptor)
            throw Failed(description: "bind \(source): \(errno)")
        }
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else {
            Glibc.close(descriptor)
            throw Failed(description: "connect: \(errno)")
        }
    }

    func send(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// What arrives within `waiting` (until the peer stops sending for that long).
    func receive(waiting: Duration) -> String {
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while poll(waiting) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
        }
        return String(decoding: received, as: UTF8.self)
    }

    /// Sends a request and returns the response once it is complete (by its `Content-Length`),
    /// or whatever came within five seconds.
    func exchange(_ request: String) -> String {
        send(request)
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while poll(.seconds(5)) {
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count <= 0 { break }
            received += buffer[0..<count]
            if Self.isComplete(received) { break }
        }
        return String(decoding: received, as: UTF8.self)
    }

    private static func isComplete(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let end = text.range(of: "\r\n\r\n") else { return false }
        let length =
            text[..<end.lowerBound].split(separator: "\r\n")
            .first { $0.lowercased().hasPrefix("content-length:") }
            .flatMap { Int($0.dropFirst("content-length:".count).trimmingCharacters(in: .whitespaces)) } ?? 0
        return text[end.upperBound...].utf8.count >= length
    }

    /// Whether the peer has closed the connection (a read returns end of file or an error).
    func isClosed(waiting: Duration) -> Bool {
        guard poll(waiting) else { return false }
        var byte: UInt8 = 0
        return recv(descriptor, &byte, 1, Int32(MSG_PEEK | MSG_DONTWAIT)) <= 0
    }

    /// Reads whatever is waiting and keeps reading; `true` if the peer closes (end of file or a
    /// reset) within `within`, `false` if data or silence goes on that long.
    func drainsToEnd(within limit: Duration) -> Bool {
        let deadline = ContinuousClock.now + limit
        var buffer = [UInt8](repeating: 0, count: 65536)
        while ContinuousClock.now < deadline {
            guard poll(.milliseconds(200)) else { continue }
            if recv(descriptor, &buffer, buffer.count, 0) <= 0 { return true }
        }
        return false
    }

    func close() { Glibc.close(descriptor) }

    private func poll(_ timeout: Duration) -> Bool {
        var entry = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(timeout / .milliseconds(1))
        return Glibc.poll(&entry, 1, milliseconds) > 0
    }
}
