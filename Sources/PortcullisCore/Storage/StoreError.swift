/// A failure of a store, translated from the backend at the storage boundary.
///
/// ``description`` is deliberately generic so a backend message can never carry data into logs
/// or responses; the backend's own message is kept in ``backendMessage`` for debugging only.
public struct StoreError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The kind of failure.
    public struct Kind: Hashable, Sendable {
        private enum Base: Hashable, Sendable { case duplicate, unavailable, corrupt, unusable, changed }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// A unique value (such as an email address) is already taken.
        public static let duplicate = Kind(.duplicate)
        /// The store could not be reached or did not answer in time.
        public static let unavailable = Kind(.unavailable)
        /// A stored row could not be read back.
        public static let corrupt = Kind(.corrupt)
        /// A one-time token to be used is unknown, used or expired; nothing was written.
        public static let unusable = Kind(.unusable)
        /// A ``StoreWrite/requireCredential(accountID:passwordHash:)`` found the password changed
        /// or the account disabled; nothing was written.
        public static let changed = Kind(.changed)
    }

    /// The kind of failure.
    public let kind: Kind
    /// The backend's own description of the failure, if any. Not for display or logs.
    public let backendMessage: String?

    /// Creates a store error.
    public init(_ kind: Kind, backendMessage: String? = nil) {
        self.kind = kind
        self.backendMessage = backendMessage
    }

    /// Shorthand for a duplicate-key error.
    public static let duplicate = StoreError(.duplicate)

    /// The generic description and the backend's message, for debugging and test failures only.
    public var debugDescription: String { "\(description) (\(backendMessage ?? "no detail"))" }

    public var description: String {
        switch kind {
        case .duplicate: "store: duplicate value"
        case .unavailable: "store: unavailable"
        case .unusable: "store: token unknown, used or expired"
        case .changed: "store: credential changed"
        default: "store: unreadable row"
        }
    }
}
