/// A change to an account's state. Only the fields given change, so two changes made at once (a
/// role change and a disable) never undo each other.
public struct AccountChange: Sendable, Hashable {
    /// The account's new roles (validated with ``Role``), or `nil` to leave them.
    public var roles: [String]?
    /// `true` to disable (keeping the time of the first disable), `false` to enable, `nil` to leave.
    public var disabled: Bool?
    /// `true` to mark the email verified (keeping the time it first was), `nil` to leave.
    public var emailVerified: Bool?

    /// Creates a change.
    public init(roles: [String]? = nil, disabled: Bool? = nil, emailVerified: Bool? = nil) {
        self.roles = roles.map { Array(Set($0)).sorted() }
        self.disabled = disabled
        self.emailVerified = emailVerified
    }
}
