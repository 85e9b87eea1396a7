import Foundation

#if !FUZZING
// Scripts/fuzz compiles the parsers' own files into one module with this one instead.
import PortcullisCore
import PortcullisHTTP
import PortcullisSMTP
import PortcullisTokens
import PortcullisVerifier
#endif

/// The hand-written parsers that read bytes an attacker chooses, and what each must promise for
/// any input: never crash, never hang, and agree with a simpler statement of its job.
///
/// The first byte of an input picks the parser, the rest is its input, so one corpus and one
/// fuzzing run cover them all. A broken promise stops the process (`precondition`), which
/// libFuzzer reports as a crash and saves the input.
enum ParserFuzzing: UInt8, CaseIterable {
    case strictJSON, base64URL, serverSentEvents, formParameters, userAgent, smtpReply, cbor

    /// Runs one input.
    static func run(_ input: [UInt8]) {
        guard let first = input.first else { return }
        let target = allCases[Int(first) % allCases.count]
        target.check(Array(input.dropFirst()))
    }

    /// The input that exercises this parser with `payload` (how the corpus seeds are written).
    func input(_ payload: some Sequence<UInt8>) -> [UInt8] {
        [rawValue] + payload
    }

    private func check(_ bytes: [UInt8]) {
        switch self {
        case .strictJSON:
            // Stricter than JSON, never looser: whatever it accepts, Foundation's reader accepts.
            if StrictJSON.object(bytes) != nil {
                precondition((try? JSONSerialization.jsonObject(with: Data(bytes))) is [String: Any], "StrictJSON accepted what JSON does not")
            }
        case .base64URL:
            // Decoding then encoding gives the text back: one spelling per value (no padding,
            // no stray bits), so a token cannot be altered and still verify.
            let text = String(decoding: bytes, as: UTF8.self)
            if let decoded = Base64.decode(text) {
                precondition(Base64.encode(decoded) == text, "base64url has two spellings of one value")
            }
            precondition(Base64.decode(Base64.encode(bytes)) == bytes, "base64url does not round-trip")
        case .serverSentEvents:
            // Events do not depend on how the stream is cut into reads.
            var whole = ServerSentEventParser()
            var byByte = ServerSentEventParser()
            let all = try? whole.consume(bytes)
            var pieces: [ServerSentEventParser.Event]? = []
            for byte in bytes {
                guard let events = try? byByte.consume([byte]) else {
                    pieces = nil
                    break
                }
                pieces! += events
            }
            precondition((all == nil) == (pieces == nil) && (all == nil || all! == pieces!), "SSE events depend on read boundaries")
        case .formParameters:
            // What it accepts, written back out canonically, reads back the same.
            let body = String(decoding: bytes, as: UTF8.self)
            if let parameters = try? FormParameters.parse(body) {
                let encoded = parameters.map { "\(Self.formEncode($0.key))=\(Self.formEncode($0.value))" }.joined(separator: "&")
                precondition((try? FormParameters.parse(encoded)) == parameters, "form parameters do not round-trip")
            }
        case .userAgent:
            let summary = UserAgentSummary(String(decoding: bytes, as: UTF8.self))
            precondition(!summary.description.isEmpty, "empty user-agent summary")
        case .smtpReply:
            // A reply read whole equals the reply read as the bytes trickle in.
            var whole = bytes
            let complete = try? SMTPReply.parse(&whole)
            var trickle: [UInt8] = []
            var incremental: SMTPReply??
            for byte in bytes {
                trickle.append(byte)
                do {
                    if let reply = try SMTPReply.parse(&trickle) {
                        incremental = .some(reply)
                        break
                    }
                } catch {
                    incremental = .some(nil)
                    break
                }
            }
            if let reply = complete ?? nil {
                precondition(incremental == .some(reply), "an SMTP reply depends on read boundaries")
            }
        case .cbor:
            // An item read as a prefix claims no more than the input, and reads the same alone;
            // authenticator data (CBOR inside a binary frame) never reads out of bounds.
            if let (item, consumed) = try? CBOR.decodePrefix(bytes) {
                precondition(consumed >= 1 && consumed <= bytes.count, "a CBOR item claims bytes it does not have")
                precondition((try? CBOR.decode(bytes[..<consumed])) == item, "a CBOR item depends on what follows it")
            }
            _ = try? AuthenticatorData(bytes)
        }
    }

    private static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}
