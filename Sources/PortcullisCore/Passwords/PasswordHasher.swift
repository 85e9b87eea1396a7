import Crypto
import CryptoExtras
import PortcullisTokens
import Synchronization

/// Hashes and verifies passwords with scrypt, stored as PHC strings:
/// `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (base64 without padding, the passlib layout).
///
/// Every computation runs on a ``BlockingWorkPool`` so it never blocks an event loop, a burst
/// cannot exhaust memory, and a flood is refused (``PortcullisError/Kind/busy``) rather than queued
/// for minutes. The format names its parameters, so ``needsRehash(_:)`` can tell when a
/// stored hash should be upgraded at the next successful login.
public struct PasswordHasher: Sendable {
    /// The parameters new hashes are made with.
    public let parameters: ScryptParameters
    private let pool: BlockingWorkPool
    private let counter = ComputationCounter()
    /// A well-formed hash nobody knows the password of, verified for unknown accounts so their
    /// answer takes as long as a wrong password.
    private let decoyHash: String

    /// How many scrypt computations this hasher has started: every hash and every verification,
    /// decoys included. Lets tests prove which paths hash and which refuse first.
    public var computations: Int { counter.value }

    /// The priority hashing threads run at unless told otherwise: idle, measured to keep the most
    /// request throughput and the lowest latency during a storm of sign-ins, which complete more
    /// slowly than at `low` or `normal` (the README's "Performance" has the figures).
    public static let defaultPriority: BackgroundPriority = .idle

    private static let saltBytes = 16
    private static let keyBytes = 32

    /// Creates a hasher.
    /// - Parameters:
    ///   - parameters: the scrypt cost for new hashes (OWASP's by default).
    ///   - concurrency: how many hashes may run at once.
    ///   - queueLimit: how many more may wait; beyond that a hash is refused with `busy`.
    ///   - priority: how readily hashing yields the CPU to the rest of the process: under request
    ///     load, sign-ins slow down rather than every request.
    public init(
        parameters: ScryptParameters = .owasp,
        concurrency: Int = 2,
        queueLimit: Int = 64,
        priority: BackgroundPriority = PasswordHasher.defaultPriority
    ) {
        self.parameters = parameters
        self.pool = BlockingWorkPool(width: concurrency, maximumWaiting: queueLimit, priority: priority)
        self.decoyHash =
            PHCString(
                parameters: parameters,
                salt: SecureRandom.bytes(Self.saltBytes),
                hash: SecureRandom.bytes(Self.keyBytes)
            ).encoded
    }

    /// The refusal a new hash would get now, when the queue is full (`nil` otherwise): lets the
    /// sign-in refuse a flood before it touches the throttle or the store.
    public var busyRefusal: PortcullisError? { pool.isSaturated ? pool.busy : nil }

    /// Hashes a new password.
    public func hash(_ password: String) async throws -> String {
        let parameters = self.parameters
        let salt = SecureRandom.bytes(Self.saltBytes)
        counter.increment()
        let derived = try await pool.run {
            try Self.derive(password, salt: salt, parameters: parameters)
        }
        return PHCString(parameters: parameters, salt: salt, hash: derived).encoded
    }

    /// Whether `password` matches `storedHash`. A malformed stored hash never matches.
    public func verify(_ password: String, against storedHash: String) async throws -> Bool {
        guard let phc = PHCString(storedHash) else { return false }
        counter.increment()
        let derived = try await pool.run {
            try Self.derive(password, salt: phc.salt, parameters: phc.parameters)
        }
        return ConstantTime.equals(derived, phc.hash)
    }

    /// Spends the same time as a real verification and returns `false`: the answer for an
    /// unknown account, so timing does not reveal which accounts exist.
    public func verifyDecoy(_ password: String) async throws -> Bool {
        _ = try await verify(password, against: decoyHash)
        return false
    }

    /// Whether `storedHash` was made with weaker parameters than ``parameters`` (or is unreadable).
    public func needsRehash(_ storedHash: String) -> Bool {
        guard let phc = PHCString(storedHash) else { return true }
        return phc.parameters.isWeaker(than: parameters)
    }

    private static func derive(_ password: String, salt: [UInt8], parameters: ScryptParameters) throws -> [UInt8] {
        let key = try KDF.Scrypt.deriveKey(
            from: Array(password.utf8),
            salt: salt,
            outputByteCount: keyBytes,
            rounds: 1 << parameters.logN,
            blockSize: parameters.blockSize,
            parallelism: parameters.parallelism
        )
        return key.withUnsafeBytes { [UInt8]($0) }
    }
}

/// A thread-safe count, shared by copies of a ``PasswordHasher``.
private final class ComputationCounter: Sendable {
    private let count = Atomic<Int>(0)
    func increment() { count.add(1, ordering: .relaxed) }
    var value: Int { count.load(ordering: .relaxed) }
}

/// The PHC string format for scrypt.
struct PHCString {
    let parameters: ScryptParameters
    let salt: [UInt8]
    let hash: [UInt8]

    init(parameters: ScryptParameters, salt: [UInt8], hash: [UInt8]) {
        self.parameters = parameters
        self.salt = salt
        self.hash = hash
    }

    /// Parses `$scrypt$ln=…,r=…,p=…$salt$hash`; `nil` for anything else or for absurd parameters.
    init?(_ string: String) {
        let fields = string.split(separator: "$", omittingEmptySubsequences: false)
        guard fields.count == 5, fields[0].isEmpty, fields[1] == "scrypt" else { return nil }
        var values: [Substring: Int] = [:]
        for pair in fields[2].split(separator: ",") {
            let parts = pair.split(separator: "=")
            guard parts.count == 2, let value = Int(parts[1]) else { return nil }
            values[parts[0]] = value
        }
        guard let logN = values["ln"], let r = values["r"], let p = values["p"],
            (10...22).contains(logN), (1...32).contains(r), (1...16).contains(p),
            let salt = Self.decode(fields[3]), let hash = Self.decode(fields[4]),
            salt.count >= 8, hash.count >= 16
        else { return nil }
        self.init(parameters: .init(logN: logN, blockSize: r, parallelism: p), salt: salt, hash: hash)
    }

    var encoded: String {
        "$scrypt$ln=\(parameters.logN),r=\(parameters.blockSize),p=\(parameters.parallelism)$\(Self.encode(salt))$\(Self.encode(hash))"
    }

    private static func encode(_ bytes: [UInt8]) -> String {
        Base64.encode(bytes, alphabet: .standard)
    }

    private static func decode(_ text: Substring) -> [UInt8]? {
        Base64.decode(text, alphabet: .standard)
    }
}
