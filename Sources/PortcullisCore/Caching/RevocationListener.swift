/// An in-memory cache that must forget what the revocation log names: fed by the
/// ``RevocationBroadcaster`` for revocations made anywhere, and directly for those this instance makes.
public protocol RevocationListener: Sendable {
    /// Called each time the broadcaster has read the log to its end: what the cache holds may be
    /// used for `lease` more. Until the first call, and whenever a lease runs out (the log cannot
    /// be read, the broadcaster stopped), nothing is kept or served.
    func markFollowed(for lease: Duration)
    /// Forgets everything: the log is about to be followed from a new point.
    func reset()
    /// Forgets what the entry names.
    func evict(_ revocation: Revocation)
    /// Forgets everything of the account, so its next request reads it afresh.
    func forget(accountID: String)
}

extension SessionCache: RevocationListener {}
extension BearerCache: RevocationListener {}
