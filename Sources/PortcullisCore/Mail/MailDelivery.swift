public import Logging
import Metrics
public import ServiceLifecycle

#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Sends what the outbox holds: a background service on every instance.
///
/// Each round it claims the messages that are due (under a lease, so no two instances send one
/// message at the same time), sends each through the transport, and marks it sent or failed.
/// A transient failure (a mail server that is down, a 4xx) is retried with exponential backoff
/// from 1 second up to 5 minutes, for as long as ``maximumAge``; a permanent one (a 5xx) three
/// times, in case the server was misconfigured for a moment. A restart loses nothing: the
/// messages wait in the store.
///
/// Metrics: `portcullis_mail_total{result="sent"|"retried"|"abandoned"}` and the gauge
/// `portcullis_mail_queued`.
public struct MailDelivery: Service {
    private let store: any MailOutboxStore
    private let mailer: AccountMailer
    private let transport: any MailTransport
    private let clock: any WallClock
    private let interval: Duration
    private let logger: Logger
    /// How long a claim lasts: longer than any one attempt (the SMTP client gives up after 30 s).
    public static let lease: Duration = .seconds(120)
    /// How long a message is retried before it is abandoned.
    public static let maximumAge: Duration = .seconds(3 * 86400)
    /// How many times a permanently refused message is tried.
    static let permanentAttempts = 3

    private let sent = Counter(label: "portcullis_mail_total", dimensions: [("result", "sent")])
    private let retried = Counter(label: "portcullis_mail_total", dimensions: [("result", "retried")])
    private let abandoned = Counter(label: "portcullis_mail_total", dimensions: [("result", "abandoned")])
    private let queued = Gauge(label: "portcullis_mail_queued")

    /// Creates the service; `interval` is how often it looks for due messages.
    public init(
        store: any MailOutboxStore,
        mailer: AccountMailer,
        transport: any MailTransport,
        clock: any WallClock = SystemClock(),
        interval: Duration = .milliseconds(500),
        logger: Logger
    ) {
        self.store = store
        self.mailer = mailer
        self.transport = transport
        self.clock = clock
        self.interval = interval
        self.logger = logger
    }

    /// Delivers until cancelled or the service group shuts down.
    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                try await deliverDue()
            } catch {
                logger.warning("outbox unreadable", metadata: ["portcullis.error": "\(String(describing: error))"])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
        }
    }

    /// One round: claims what is due and tries each message once. - Returns: how many were sent.
    @discardableResult
    public func deliverDue() async throws -> Int {
        let claimed = try await store.claimMail(now: clock.now, lease: Self.lease, limit: 20)
        var delivered = 0
        for mail in claimed where !Task.isCancelled {
            if try await deliver(mail) { delivered += 1 }
        }
        queued.record(try await store.pendingMailCount())
        return delivered
    }

    private func deliver(_ mail: OutboxMail) async throws -> Bool {
        let content: MailContent
        do {
            content = try mailer.open(mail)
        } catch {
            logger.error("queued mail cannot be opened with this key file", metadata: ["portcullis.mail_id": "\(mail.id)"])
            try await store.markMailFailed(id: mail.id, at: clock.now, nextAttemptAt: clock.now, giveUp: true)
            abandoned.increment()
            return false
        }
        do {
            try await transport.send(content, messageID: mail.id, date: mail.createdAt)
            try await store.markMailSent(id: mail.id, at: clock.now)
            sent.increment()
            logger.info("mail sent", metadata: ["portcullis.mail_id": "\(mail.id)", "portcullis.attempts": "\(mail.attempts + 1)"])
            return true
        } catch {
            let transient = (error as? MailTransportFailure)?.isTransient ?? true
            let now = clock.now
            let tooOld = now.timeIntervalSince(mail.createdAt) >= Self.maximumAge.timeInterval
            let giveUp = tooOld || (!transient && mail.attempts + 1 >= Self.permanentAttempts)
            let next = now.addingTimeInterval(Self.backoff(afterAttempts: mail.attempts + 1))
            try await store.markMailFailed(id: mail.id, at: now, nextAttemptAt: next, giveUp: giveUp)
            (giveUp ? abandoned : retried).increment()
            logger.warning(
                giveUp ? "mail abandoned" : "mail delayed",
                metadata: [
                    "portcullis.mail_id": "\(mail.id)", "portcullis.attempts": "\(mail.attempts + 1)",
                    "portcullis.error": "\(String(describing: error))",
                ]
            )
            return false
        }
    }

    /// 1 s, 2 s, 4 s … up to 5 minutes, with up to a quarter more at random so that instances
    /// retrying together spread out.
    static func backoff(afterAttempts attempts: Int) -> TimeInterval {
        let base = Double(min(300, 1 << min(max(0, attempts - 1), 9)))
        return base + Double.random(in: 0...(base / 4))
    }
}
