/// An incremental parser for a `text/event-stream` body (WHATWG HTML §9.2): bytes go in as they
/// arrive, complete events come out, each line bounded. Why not `mattt/EventSource`:
/// (docs/design.md#libraries-and-what-is-written-here-instead).
package struct ServerSentEventParser {
    /// One dispatched event.
    package struct Event: Equatable {
        package var id: String?
        package var type: String = "message"
        package var data: String = ""
    }

    /// The longest line accepted; a longer one means the peer is not the feed we expect.
    static let maximumLineLength = 64 * 1024

    package enum Failure: Error { case lineTooLong }

    private var line: [UInt8] = []
    private var pending = Event()
    private var hasData = false
    private var sawCarriageReturn = false

    /// A parser at the start of a stream.
    package init() {}

    /// The events completed by `bytes`.
    package mutating func consume(_ bytes: some Sequence<UInt8>) throws -> [Event] {
        var events: [Event] = []
        for byte in bytes {
            if sawCarriageReturn {
                sawCarriageReturn = false
                if byte == UInt8(ascii: "\n") { continue }
            }
            switch byte {
            case UInt8(ascii: "\r"):
                sawCarriageReturn = true
                if let event = endLine() { events.append(event) }
            case UInt8(ascii: "\n"):
                if let event = endLine() { events.append(event) }
            default:
                guard line.count < Self.maximumLineLength else { throw Failure.lineTooLong }
                line.append(byte)
            }
        }
        return events
    }

    private mutating func endLine() -> Event? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.isEmpty {
            defer {
                pending = Event(id: pending.id)
                hasData = false
            }
            return hasData ? pending : nil
        }
        if line.first == UInt8(ascii: ":") { return nil }
        let text = String(decoding: line, as: UTF8.self)
        let field: Substring
        var value: Substring
        if let colon = text.firstIndex(of: ":") {
            field = text[..<colon]
            value = text[text.index(after: colon)...]
            if value.first == " " { value = value.dropFirst() }
        } else {
            field = Substring(text)
            value = ""
        }
        switch field {
        case "data":
            pending.data += hasData ? "\n" + value : String(value)
            hasData = true
        case "event": pending.type = String(value)
        case "id" where !value.contains("\0"): pending.id = String(value)
        default: break
        }
        return nil
    }
}
