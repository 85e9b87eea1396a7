import AsyncHTTPClient
import Foundation
import HTTPTypes
import NIOCore
import NIOHTTP1

/// A minimal Server-Sent-Events client over a real socket.
final class EventStreamReader: @unchecked Sendable {
    struct Event {
        let id: String
        let data: String
    }

    private var iterator: HTTPClientResponse.Body.AsyncIterator
    private var buffer = ""

    static func open(port: Int, path: String, headers: HTTPFields) async throws -> EventStreamReader {
        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)\(path)")
        for field in headers { request.headers.add(name: field.name.rawName, value: field.value) }
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(30))
        guard response.status == .ok else { throw StreamError(status: Int(response.status.code)) }
        return EventStreamReader(iterator: response.body.makeAsyncIterator())
    }

    private init(iterator: HTTPClientResponse.Body.AsyncIterator) {
        self.iterator = iterator
    }

    /// The next event with data, waiting at most five seconds.
    func nextEvent() async throws -> Event {
        let deadline = ContinuousClock.now + .seconds(5)
        while ContinuousClock.now < deadline {
            while let range = buffer.range(of: "\n\n") {
                let block = String(buffer[..<range.lowerBound])
                buffer.removeSubrange(..<range.upperBound)
                var id = ""
                var data = ""
                for line in block.split(separator: "\n") {
                    if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                    if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
                }
                if !data.isEmpty { return Event(id: id, data: data) }
            }
            guard let chunk = try await iterator.next() else { break }
            buffer += String(buffer: chunk)
        }
        throw StreamError(status: 0)
    }

    struct StreamError: Error { let status: Int }
}
