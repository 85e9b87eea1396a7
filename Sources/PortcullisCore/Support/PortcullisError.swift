/// A failure that Portcullis reports to its caller.
///
/// A struct over a private enum, so new kinds can be added without breaking users. The HTTP layer
/// alone decides which status each ``Kind`` becomes. ``reason`` is safe to show: it never names an
/// account, a secret or a token.
public struct PortcullisError: Error, Sendable, CustomStringConvertible {
    /// What went wrong, as a value the HTTP layer can compare.
    public struct Kind: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String, Hashable, Sendable {
            case invalidCredentials, throttled, invalidEmail, weakPassword, emailTaken
            case notFound, inputTooLarge, storeUnavailable, invalidGrant, invalidRequest, forbidden, busy
            case invalidToken, emailNotVerified, mailDisabled
        }
        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// Unknown account, wrong password or disabled account: deliberately indistinguishable.
        public static let invalidCredentials = Kind(.invalidCredentials)
        /// Too many attempts (failed sign-ins, registrations); ``PortcullisError/retryAfterSeconds``
        /// says for how long.
        public static let throttled = Kind(.throttled)
        /// The email address is malformed or too long.
        public static let invalidEmail = Kind(.invalidEmail)
        /// The password breaks the password policy.
        public static let weakPassword = Kind(.weakPassword)
        /// An account with this email already exists.
        public static let emailTaken = Kind(.emailTaken)
        /// The account or session does not exist (or is not the caller's).
        public static let notFound = Kind(.notFound)
        /// An input is over its size limit and was refused before any work.
        public static let inputTooLarge = Kind(.inputTooLarge)
        /// The store did not answer.
        public static let storeUnavailable = Kind(.storeUnavailable)
        /// A grant (refresh token, credentials, session) that cannot be used (RFC 6749 `invalid_grant`).
        public static let invalidGrant = Kind(.invalidGrant)
        /// A request missing or misusing a parameter.
        public static let invalidRequest = Kind(.invalidRequest)
        /// Authenticated, but not allowed.
        public static let forbidden = Kind(.forbidden)
        /// Too much work is already waiting (the password-hash queue is full);
        /// ``PortcullisError/retryAfterSeconds`` says when to try again.
        public static let busy = Kind(.busy)
        /// A link's token (reset, verification) that is unknown, used or expired.
        public static let invalidToken = Kind(.invalidToken)
        /// The password was right, but the account must prove its email address first
        /// (`--require-verified-email`).
        public static let emailNotVerified = Kind(.emailNotVerified)
        /// The feature needs mail, and mail is switched off (`--mail off`).
        public static let mailDisabled = Kind(.mailDisabled)

        public var description: String { base.rawValue }
    }

    /// What went wrong.
    public let kind: Kind
    /// A sentence that tells the caller what to do; never contains secrets or says whether an account exists.
    public let reason: String
    /// For ``Kind/throttled`` and ``Kind/busy``: seconds until the caller may try again.
    public let retryAfterSeconds: Int?

    /// Creates an error.
    public init(_ kind: Kind, _ reason: String, retryAfterSeconds: Int? = nil) {
        self.kind = kind
        self.reason = reason
        self.retryAfterSeconds = retryAfterSeconds
    }

    public var description: String { "\(kind): \(reason)" }

    /// The single answer for every failed login.
    public static let invalidCredentials = PortcullisError(.invalidCredentials, "The email or password is incorrect.")
    /// The single answer for every link that cannot be used.
    public static let invalidToken = PortcullisError(.invalidToken, "This link is invalid, already used or expired. Ask for a new one.")
    /// A second-factor code that is wrong, or was already used.
    public static let invalidCode = PortcullisError(.invalidCredentials, "The code is incorrect or was already used.")
    /// An `mfa_token` that is unknown, used or expired.
    public static let invalidChallenge = PortcullisError(.invalidCredentials, "This sign-in has expired or is already complete. Sign in again.")
    /// An account whose address is not confirmed, where the server requires it.
    public static let emailNotVerified = PortcullisError(.emailNotVerified, "Confirm your email address first: follow the link we sent you.")
}
