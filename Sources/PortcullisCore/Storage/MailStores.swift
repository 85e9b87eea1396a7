#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where one-time tokens are looked up (they are written and used through ``WriteStore``).
public protocol OneTimeTokenStore: Sendable {
    /// The token whose secret hashes to `hash`, used or not.
    func oneTimeToken(hash: [UInt8]) async throws -> OneTimeToken?

    /// Deletes tokens that expired before `now`. - Returns: how many.
    func deleteExpiredOneTimeTokens(now: Date) async throws -> Int
}

/// The outbox's sending side. Messages are queued through ``StoreWrite/enqueueMail(_:)``, in the
/// transaction of the change that causes them.
public protocol MailOutboxStore: Sendable {
    /// Claims up to `limit` messages due at `now` for `lease`: no other claim returns them until
    /// the lease ends, so several instances never send one message at the same time, and a
    /// message whose sender died is claimed again once its lease has run out.
    func claimMail(now: Date, lease: Duration, limit: Int) async throws -> [OutboxMail]

    /// Records that the message was sent, and erases its content.
    func markMailSent(id: String, at now: Date) async throws

    /// Records a failed attempt: due again at `nextAttemptAt`, or, with `giveUp`, never again (its
    /// content erased).
    func markMailFailed(id: String, at now: Date, nextAttemptAt: Date, giveUp: Bool) async throws

    /// How many messages are waiting to be sent.
    func pendingMailCount() async throws -> Int

    /// Deletes sent and abandoned messages older than `cutoff`. - Returns: how many.
    func deleteFinishedMail(before cutoff: Date) async throws -> Int
}
