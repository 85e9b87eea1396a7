import Foundation

#if canImport(FoundationEssentials)
import FoundationEssentials
#endif

/// The parts of a `Cache-Control` response header (RFC 9111 §5.2.2) that decide how long a key
/// set may be used.
struct CacheControl: Equatable {
    /// `max-age`, if given and well-formed.
    var maxAge: Duration?
    /// `no-store` or `no-cache`: the response should not be reused without asking again.
    var forbidsReuse = false

    init(maxAge: Duration? = nil, forbidsReuse: Bool = false) {
        self.maxAge = maxAge
        self.forbidsReuse = forbidsReuse
    }

    /// Parses a header value; unknown directives are ignored, a malformed `max-age` is dropped.
    init(_ header: String?) {
        guard let header else { return }
        for directive in header.split(separator: ",") {
            let parts = directive.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
            switch parts.first {
            case "max-age":
                let value = parts.count == 2 ? parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")) : ""
                if let seconds = Int64(value), seconds >= 0 { maxAge = .seconds(seconds) }
            case "no-store", "no-cache":
                forbidsReuse = true
            default:
                continue
            }
        }
    }

    /// How long a response may be used, clamped into `bounds`: the lower bound when reuse is
    /// forbidden or no lifetime is given.
    func lifetime(within bounds: ClosedRange<Duration>) -> Duration {
        guard !forbidsReuse, let maxAge else { return bounds.lowerBound }
        return min(max(maxAge, bounds.lowerBound), bounds.upperBound)
    }
}
