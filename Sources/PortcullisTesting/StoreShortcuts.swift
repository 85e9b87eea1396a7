public import PortcullisCore

/// One-write shortcuts for tests that set up a store directly. The server itself writes sessions
/// and refresh families only under ``StoreWrite/requireCredential(accountID:passwordHash:)``.
extension WriteStore {
    /// Stores `session`, unconditionally.
    public func insertSession(_ session: Session) async throws {
        _ = try await apply([.insertSession(session)], stamp: RevocationStamp(revokedAt: session.createdAt, expiresAt: session.createdAt))
    }

    /// Stores `family` with its first token, unconditionally.
    public func insertRefreshFamily(_ family: RefreshFamily, firstTokenHash: [UInt8]) async throws {
        _ = try await apply(
            [.insertRefreshFamily(family, firstTokenHash: firstTokenHash)],
            stamp: RevocationStamp(revokedAt: family.createdAt, expiresAt: family.createdAt)
        )
    }
}
