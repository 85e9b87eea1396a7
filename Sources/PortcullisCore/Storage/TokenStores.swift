public import PortcullisTokens

#if canImport(FoundationEssentials)
public import FoundationEssentials
#else
public import Foundation
#endif

/// Where the key ring lives. Private keys arrive here already sealed (docs/security.md#signing-keys).
public protocol SigningKeyStore: Sendable {
    /// Stores a new key.
    func insertSigningKey(_ key: StoredSigningKey) async throws
    /// Every key still kept, oldest first.
    func signingKeys() async throws -> [StoredSigningKey]
    /// Adds `key` and, in the same transaction and under one lock for the whole key ring, replaces
    /// the schedule of the keys already held with what `retire` returns for them (the keys it
    /// changes, with new `signsUntil`/`verifiesUntil`). Two rotations at once are serialised, so an
    /// emergency rotation can never miss a key another rotation was adding.
    func rotateSigningKeys(adding key: StoredSigningKey, retiring retire: @escaping @Sendable ([StoredSigningKey]) -> [StoredSigningKey]) async throws
}

/// Where refresh families and their tokens live, by the hash of each token. New families are
/// stored with ``StoreWrite/insertRefreshFamily(_:firstTokenHash:)``.
public protocol RefreshTokenStore: Sendable {
    /// Uses a refresh token, atomically: the first use rotates it to `successorHash`; later uses
    /// within `grace` of that are replays answered with the same successor; any later use is reuse,
    /// which revokes the whole family and publishes it (a `session` entry stamped `revocation`) in
    /// the same transaction. Two concurrent uses can never both rotate.
    func useRefreshToken(
        hash: [UInt8],
        successorHash: [UInt8],
        now: Date,
        grace: Duration,
        revocation: RevocationStamp
    ) async throws -> RefreshTokenUse

    /// The family with this id.
    func refreshFamily(id: String) async throws -> RefreshFamily?

    /// The family a refresh token (current or already rotated) belongs to, and when the token was rotated.
    func refreshToken(hash: [UInt8]) async throws -> (family: RefreshFamily, rotatedAt: Date?)?

    /// The account's families that are not revoked (expired ones included until swept).
    func refreshFamilies(accountID: String) async throws -> [RefreshFamily]

    /// Deletes families that are revoked or expired at `now`, with their tokens: nothing can use
    /// them any more, and their access tokens are refused through the revocation log.
    /// - Returns: how many families were deleted.
    func deleteEndedRefreshFamilies(now: Date) async throws -> Int
}

/// The revocation log: what verifiers must refuse, and until when it matters.
///
/// The log is a feed readers follow by cursor, so it must be **gap-free**: once a reader has seen
/// an entry, no entry with a lower cursor may appear later, whatever instance appended it and
/// however concurrent appends commit. It is also **idempotent**: appending what is already there
/// (the same `session` or `token` id, or a `user` entry no later than one already held) adds nothing.
public protocol RevocationStore: Sendable {
    /// Appends an entry, unless the log already holds it. - Returns: the stored entry, with its cursor.
    @discardableResult
    func appendRevocation(_ entry: Revocation) async throws -> Revocation

    /// Entries after `cursor`, oldest first, at most `limit`, not yet past `expiresAt` at `now`.
    func revocations(after cursor: Int64, now: Date, limit: Int) async throws -> [Revocation]

    /// Whether an entry names this token, its session or family, or its account (after `issuedAt`).
    func isRevoked(tokenID: String, sessionID: String, accountID: String, issuedAt: Date) async throws -> Bool

    /// The time of the account's newest `user` entry, if it has one.
    func latestUserRevocation(accountID: String) async throws -> Date?

    /// Deletes entries whose ``Revocation/expiresAt`` has passed at `now`. - Returns: how many.
    func deleteExpiredRevocations(now: Date) async throws -> Int

    /// Calls `appended` whenever another writer may have appended entries (PostgreSQL's
    /// `LISTEN/NOTIFY`), until cancelled. A store with no such signal waits for cancellation:
    /// readers then rely on polling.
    func watchRevocations(_ appended: @escaping @Sendable () -> Void) async throws
}

extension RevocationStore {
    public func watchRevocations(_ appended: @escaping @Sendable () -> Void) async throws {
        while !Task.isCancelled { try await Task.sleep(for: .seconds(3600)) }
    }
}

/// A signing key as stored: the private key sealed with the key-encryption key.
public struct StoredSigningKey: Sendable, Hashable {
    /// The key id.
    public let kid: String
    /// Its algorithm.
    public let algorithm: SigningAlgorithm
    /// The private key, AES-GCM sealed (nonce, ciphertext, tag), bound to `kid` and `algorithm`.
    public let sealedPrivateKey: [UInt8]
    /// When it was created (and published).
    public let createdAt: Date
    /// When it starts signing.
    public let signsFrom: Date
    /// When it stopped signing (a newer key took over), if it has.
    public var signsUntil: Date?
    /// When tokens it signed stop being accepted, if that is decided.
    public var verifiesUntil: Date?

    /// Creates a stored key.
    public init(
        kid: String,
        algorithm: SigningAlgorithm,
        sealedPrivateKey: [UInt8],
        createdAt: Date,
        signsFrom: Date,
        signsUntil: Date? = nil,
        verifiesUntil: Date? = nil
    ) {
        self.kid = kid
        self.algorithm = algorithm
        self.sealedPrivateKey = sealedPrivateKey
        self.createdAt = createdAt
        self.signsFrom = signsFrom
        self.signsUntil = signsUntil
        self.verifiesUntil = verifiesUntil
    }
}

/// Every token descended from one login: rotated together, revoked together.
public struct RefreshFamily: Sendable, Hashable {
    /// The public id; access tokens carry it as `sid`.
    public let id: String
    /// The account.
    public let accountID: String
    /// The client the family was issued to.
    public let clientID: String
    /// The audience its access tokens carry.
    public let audience: String
    /// When the login happened.
    public let createdAt: Date
    /// The last rotation.
    public var lastUsedAt: Date
    /// How long the family survives unused.
    public let idleTimeout: Duration
    /// When the family ends whatever happens.
    public let absoluteExpiry: Date
    /// When it was revoked, if it was.
    public var revokedAt: Date?
    /// How the sign-in that started it was proven (`amr`); it happened at ``createdAt`` (`auth_time`).
    public let authMethods: [AuthenticationMethod]

    /// Creates a family.
    public init(
        id: String,
        accountID: String,
        clientID: String,
        audience: String,
        createdAt: Date,
        lastUsedAt: Date,
        idleTimeout: Duration,
        absoluteExpiry: Date,
        revokedAt: Date? = nil,
        authMethods: [AuthenticationMethod] = [.password]
    ) {
        self.id = id
        self.accountID = accountID
        self.clientID = clientID
        self.audience = audience
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
        self.idleTimeout = idleTimeout
        self.absoluteExpiry = absoluteExpiry
        self.revokedAt = revokedAt
        self.authMethods = authMethods
    }

    /// Whether the family can still be used at `now`.
    public func isLive(at now: Date) -> Bool {
        revokedAt == nil && now < absoluteExpiry && now < lastUsedAt.addingTimeInterval(idleTimeout.timeInterval)
    }
}

/// What presenting a refresh token did.
public enum RefreshTokenUse: Sendable, Hashable {
    /// First use: rotated to the successor.
    case rotated(RefreshFamily)
    /// Presented again within the grace window: the same successor stands.
    case replayedWithinGrace(RefreshFamily)
    /// Presented again after the grace window: the family is now revoked.
    case reused(RefreshFamily)
    /// Unknown token, or a family revoked or expired.
    case invalid
}

/// One entry of the revocation log.
public struct Revocation: Sendable, Hashable {
    /// What the id names.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A browser session or a refresh family: tokens whose `sid` is `id`.
        case session
        /// An account: its tokens issued before `revokedAt`.
        case user
        /// One access token: the one whose `jti` is `id`.
        case token
    }

    /// The position in the log; assigned by the store.
    public let cursor: Int64
    /// What is revoked.
    public let kind: Kind
    /// The `sid`, account id or `jti`.
    public let id: String
    /// When.
    public let revokedAt: Date
    /// After this no token it could affect is still valid, so the entry can be forgotten.
    public let expiresAt: Date

    /// Creates an entry (`cursor` 0 until stored).
    public init(cursor: Int64 = 0, kind: Kind, id: String, revokedAt: Date, expiresAt: Date) {
        self.cursor = cursor
        self.kind = kind
        self.id = id
        self.revokedAt = revokedAt
        self.expiresAt = expiresAt
    }
}
