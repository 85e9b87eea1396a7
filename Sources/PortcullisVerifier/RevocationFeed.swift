import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import Synchronization

/// Follows the issuer's revocation feed (docs/design.md#how-revocation-travels) and answers "was this token revoked?"
/// without a request.
///
/// The event stream is the main path: entries arrive within the issuer's poll interval (200 ms).
/// When the stream cannot be opened or drops, the feed is polled every
/// ``VerifierConfiguration/pollInterval`` until the stream is tried again. Both resume from the last
/// cursor seen, so nothing is missed across a disconnect.
final class RevocationFeed: Sendable {
    private struct State {
        var revoked = RevocationList()
        var cursor: Int64 = 0
        var streaming = false
        /// The last time the issuer answered (a poll, or bytes on the stream); `nil` before the first.
        var lastContact: ContinuousClock.Instant?
    }

    /// How long an open stream may be silent without that counting as a gap: the issuer comments
    /// on a quiet stream every 5 s, so a longer silence means the stream may be stuck.
    static let keepAliveAllowance: Duration = .seconds(6)

    private let state = Mutex(State())
    private let issuer: IssuerClient
    private let configuration: VerifierConfiguration
    private let metrics: VerifierMetrics
    private let logger: Logger

    init(issuer: IssuerClient, configuration: VerifierConfiguration, metrics: VerifierMetrics, logger: Logger) {
        self.issuer = issuer
        self.configuration = configuration
        self.metrics = metrics
        self.logger = logger
    }

    /// Whether the feed has revoked the token `identity` came from.
    func revokes(_ identity: VerifiedIdentity) -> Bool {
        state.withLock { $0.revoked.revokes(identity) }
    }

    /// How long the verifier has gone without evidence that its list is current; `nil` if it never
    /// had any. Evidence is a successful poll or bytes on the stream (entries or keep-alives); on
    /// an open stream the first ``keepAliveAllowance`` of quiet is expected and not counted.
    func silence(now: ContinuousClock.Instant = .now) -> Duration? {
        state.withLock { state in
            guard let last = state.lastContact else { return nil }
            let silence = now - last
            return state.streaming ? max(.zero, silence - Self.keepAliveAllowance) : silence
        }
    }

    /// Whether the verifier has been without the feed for longer than the staleness bound.
    func isStale(now: ContinuousClock.Instant = .now) -> Bool {
        guard let silence = silence(now: now) else { return true }
        return silence > configuration.stalenessBound
    }

    /// Streams, or polls while the stream is unavailable, until cancelled.
    func run() async {
        var nextStreamAttempt = ContinuousClock.now
        while !Task.isCancelled {
            if ContinuousClock.now >= nextStreamAttempt {
                do {
                    try await stream()
                    logger.info("revocation stream ended; polling until it reopens")
                } catch  where !Task.isCancelled {
                    logger.warning("revocation stream unavailable; polling", metadata: ["error": "\(error)"])
                } catch {}
                setStreaming(false)
                nextStreamAttempt = .now + configuration.streamRetryDelay
            }
            guard !Task.isCancelled else { break }
            do {
                try await poll()
            } catch  where !Task.isCancelled {
                logger.debug("revocation poll failed", metadata: ["error": "\(error)"])
            } catch {}
            try? await Task.sleep(for: configuration.pollInterval)
        }
        setStreaming(false)
    }

    /// Applies one page of entries after the current cursor.
    func poll() async throws {
        let page = try await issuer.revocations(after: state.withLock { $0.cursor })
        state.withLock { state in
            for entry in page.entries { state.revoked.apply(entry) }
            state.cursor = max(state.cursor, page.cursor)
            state.lastContact = .now
        }
        updateGauges()
    }

    /// Drops entries that can no longer concern a valid token.
    func prune(nowEpochSeconds: Int64) {
        state.withLock { $0.revoked.prune(now: nowEpochSeconds) }
        updateGauges()
    }

    private func stream() async throws {
        let response = try await issuer.openRevocationStream(after: state.withLock { $0.cursor })
        setStreaming(true)
        var parser = ServerSentEventParser()
        for try await chunk in response.body {
            let events = try parser.consume(chunk.readableBytesView)
            state.withLock { state in
                state.lastContact = .now
                for event in events where event.type == "revocation" {
                    guard let entry = try? JSONDecoder().decode(RevocationEntry.self, from: Data(event.data.utf8)) else { continue }
                    state.revoked.apply(entry)
                    if let id = event.id.flatMap(Int64.init) { state.cursor = max(state.cursor, id) }
                }
            }
            if !events.isEmpty { updateGauges() }
        }
    }

    private func setStreaming(_ streaming: Bool) {
        state.withLock { state in
            // The issuer answering 200 to the stream is contact; losing the stream is not.
            if streaming { state.lastContact = .now }
            state.streaming = streaming
        }
        metrics.feed(streaming: streaming)
    }

    private func updateGauges() {
        metrics.revocations(held: state.withLock { $0.revoked.count })
    }
}
