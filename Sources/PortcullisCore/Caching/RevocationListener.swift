/// An in-memory cache that must forget what the revocation log names: fed by the
/// ``RevocationBroadcaster`` for revocations made anywhere, and directly for those this instance makes.
public protocol RevocationListener: Sendable {
    /// Called once the broadcaster has read the log; nothing may be kept before.
    func markFollowed()
    /// Forgets what the entry names.
    func evict(_ revocation: Revocation)
    /// Forgets everything of the account, so its next request reads it afresh.
    func forget(accountID: String)
}

extension SessionCache: RevocationListener {}
extension BearerCache: RevocationListener {}
