import Benchmark
import Crypto
import Foundation
import JWTKit
import Logging
import PortcullisCore
import PortcullisPostgres
import PortcullisSQLite
import PortcullisTokens
import PortcullisVerifier

/// The two costs every login and every request pay: one password hash, one session validation.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .cpuTotal, .mallocCountTotal], maxDuration: .seconds(10))

    // One scrypt hash at OWASP parameters (N=2^17, r=8, p=1): the cost of a login or registration.
    Benchmark("Password hash (scrypt N=2^17 r=8 p=1)", configuration: .init(maxIterations: 20)) { benchmark in
        let hasher = PasswordHasher(parameters: .owasp, concurrency: 1)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await hasher.hash("correct horse battery staple"))
        }
    }

    // Validating a session cookie against the SQLite store (a read of the session and the
    // account; no write, since last_seen_at was just set).
    Benchmark("Session validation (SQLite)", configuration: .init(maxIterations: 100_000)) { benchmark in
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("portcullis-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await SQLiteStore.open(path: directory.appendingPathComponent("bench.sqlite").path)
        try await store.migrate()
        let (sessions, secret) = try await startSession(in: store)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await sessions.validate(secret))
        }
        benchmark.stopMeasurement()
        try await store.close()
    }

    // Validating a session against PostgreSQL (no cache: every validation reads the session and
    // the account). Runs when PORTCULLIS_BENCH_POSTGRES names an empty database.
    if let url = ProcessInfo.processInfo.environment["PORTCULLIS_BENCH_POSTGRES"] {
        Benchmark("Session validation (PostgreSQL)", configuration: .init(maxIterations: 100_000)) { benchmark in
            let store = try PostgresStore(url: url)
            store.start()
            try await store.migrate()
            let (sessions, secret) = try await startSession(in: store)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await sessions.validate(secret))
            }
            benchmark.stopMeasurement()
            try await store.close()
        }
        // The same with the session cache on (what `serve` runs by default): a hit reads nothing.
        Benchmark("Session validation (PostgreSQL, cached)", configuration: .init(maxIterations: 100_000)) { benchmark in
            let store = try PostgresStore(url: url)
            store.start()
            try await store.migrate()
            let cache = SessionCache()
            cache.markFollowed(for: .seconds(3600))
            let (sessions, secret) = try await startSession(in: store, cache: cache)
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await sessions.validate(secret))
            }
            benchmark.stopMeasurement()
            try await store.close()
        }
    }

    // Issuing and verifying one access token per algorithm; verification is Portcullis's full
    // check (shape, header, claims, then jwt-kit's signature check).
    for algorithm in [SigningAlgorithm.eddsa, .es256, .rs256] {
        Benchmark("Access token issue (\(algorithm.rawValue))", configuration: .init(scalingFactor: .kilo, maxIterations: 20)) { benchmark in
            let key = try SigningKey.generate(algorithm)
            _ = try await AccessTokenSigner.sign(claims(), with: key)  // warm-up, as for sessions
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await AccessTokenSigner.sign(claims(), with: key))
            }
        }
        Benchmark("Access token verify (\(algorithm.rawValue))", configuration: .init(scalingFactor: .kilo, maxIterations: 20)) { benchmark in
            let key = try SigningKey.generate(algorithm)
            let keys = [key.kid: try await VerificationKey(key)]
            let token = try await AccessTokenSigner.sign(claims(), with: key)
            let verifier = AccessTokenVerifier(policy: .init(issuer: "http://127.0.0.1:8080", audiences: ["api"]))
            let now = Date()
            _ = try await verifier.verify(token, keys: keys, now: now)  // warm-up, as for sessions
            benchmark.startMeasurement()
            for _ in benchmark.scaledIterations {
                blackHole(try await verifier.verify(token, keys: keys, now: now))
            }
        }
    }

    // PortcullisVerifier, as another service runs it: every check, revocation and staleness
    // included. Cold: each token is new (parse, checks, signature, cache insert). Warm: the same
    // token again (the verified-token cache). Against jwt-kit alone verifying the same kind of token.
    Benchmark("Verifier, cold cache (EdDSA)", configuration: .init(scalingFactor: .kilo, maxIterations: 50)) { benchmark in
        let key = try SigningKey.generate(.eddsa)
        let verifier = try await pinnedVerifier(key)
        var tokens: [String] = []
        for _ in benchmark.scaledIterations { tokens.append(try await AccessTokenSigner.sign(claims(), with: key)) }
        _ = try await verifier.verify(try await AccessTokenSigner.sign(claims(), with: key))
        benchmark.startMeasurement()
        for token in tokens {
            blackHole(try await verifier.verify(token))
        }
    }
    Benchmark("Verifier, warm cache (EdDSA)", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let key = try SigningKey.generate(.eddsa)
        let verifier = try await pinnedVerifier(key)
        let token = try await AccessTokenSigner.sign(claims(), with: key)
        _ = try await verifier.verify(token)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await verifier.verify(token))
        }
    }
    // The floors: swift-crypto's Ed25519 check of the same token's signature, and jwt-kit
    // verifying it (signature and decoding, none of our checks).
    Benchmark("Ed25519 signature check alone (swift-crypto)", configuration: .init(scalingFactor: .kilo, maxIterations: 50)) { benchmark in
        let key = try SigningKey.generate(.eddsa)
        let publicKey = try Curve25519.Signing.PrivateKey(rawRepresentation: key.privateKeyBytes).publicKey
        let token = try await AccessTokenSigner.sign(claims(), with: key)
        let parts = token.split(separator: ".")
        let input = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard let signature = Base64.decode(parts[2]) else { return }
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(publicKey.isValidSignature(signature, for: input))
        }
    }
    Benchmark("jwt-kit verify alone (EdDSA)", configuration: .init(scalingFactor: .kilo, maxIterations: 50)) { benchmark in
        let key = try SigningKey.generate(.eddsa)
        let collection = JWTKeyCollection()
        guard let x = try key.publicJWK?["x"] else { return }
        await collection.add(eddsa: try EdDSA.PublicKey(x: x, curve: .ed25519), kid: JWKIdentifier(string: key.kid))
        let token = try await AccessTokenSigner.sign(claims(), with: key)
        _ = try await collection.verify(token, as: JWTKitClaims.self)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await collection.verify(token, as: JWTKitClaims.self))
        }
    }

    // Session validation with the cache on: a hit (the same cookie again) and the cache's lookup
    // alone; the miss is "Session validation (SQLite)" above.
    Benchmark("Session validation, cache hit", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let cache = SessionCache()
        cache.markFollowed(for: .seconds(3600))
        let (sessions, secret) = try await startSession(in: MemoryStore(), cache: cache)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await sessions.validate(secret))
        }
    }

    Benchmark("Session cache lookup alone", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let cache = SessionCache()
        cache.markFollowed(for: .seconds(3600))
        let (sessions, secret) = try await startSession(in: MemoryStore(), cache: cache)
        _ = sessions
        let hash = secret.hash
        let now = Date()
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(cache.lookup(secretHash: hash, now: now))
        }
    }

    // The server's bearer path: a token it has checked before (the bearer cache), and one it has
    // not (signature, claims, revocation and account reads against the in-memory store).
    Benchmark("Bearer authentication, cache hit (EdDSA)", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let (tokens, token) = try await bearerToken(cached: true)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await tokens.authenticate(bearer: token))
        }
    }
    Benchmark("Bearer authentication, no cache (EdDSA)", configuration: .init(scalingFactor: .kilo, maxIterations: 50)) { benchmark in
        let (tokens, token) = try await bearerToken(cached: false)
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await tokens.authenticate(bearer: token))
        }
    }

    // The same against the in-memory store: the cost of the session logic without storage.
    Benchmark("Session validation (memory)", configuration: .init(scalingFactor: .kilo, maxIterations: 1_000)) { benchmark in
        let (sessions, secret) = try await startSession(in: MemoryStore())
        benchmark.startMeasurement()
        for _ in benchmark.scaledIterations {
            blackHole(try await sessions.validate(secret))
        }
    }
}

func startSession(in store: any PortcullisStore, cache: SessionCache? = nil) async throws -> (SessionManager, SessionSecret) {
    let cheap = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
    let account = try await AccountService(store: store, hasher: cheap).register(
        email: "bench-\(UUID().uuidString)@example.com",
        password: "correct horse battery staple"
    )
    let sessions = SessionManager(store: store, cache: cache)
    let started = try await sessions.start(account: account, remember: false, userAgent: "bench", ipAddress: "127.0.0.1")
    // Each measurement calls its closure afresh: this warm-up keeps one-off costs (the first
    // statement on a connection, the first cache fill) out of every sample.
    _ = try await sessions.validate(started.secret)
    return (sessions, started.secret)
}

/// A token service on the in-memory store (with a followed bearer cache, or none) and one of its tokens.
func bearerToken(cached: Bool) async throws -> (TokenService, String) {
    let store = MemoryStore()
    let policy = TokenPolicy(issuer: "http://127.0.0.1:8080")
    let encryption = try KeyEncryptionKey(bytes: Array(repeating: 7, count: 32))
    let cache = cached ? BearerCache() : nil
    cache?.markFollowed(for: .seconds(3600))
    let tokens = TokenService(
        store: store,
        keyRing: KeyRing(store: store, encryption: encryption, policy: policy),
        encryption: encryption,
        policy: policy,
        cache: cache
    )
    let cheap = PasswordHasher(parameters: ScryptParameters(logN: 10, blockSize: 8, parallelism: 1))
    let account = try await AccountService(store: store, hasher: cheap).register(email: "bench@example.com", password: "correct horse battery staple")
    let token = try await tokens.issue(for: account, audience: nil).accessToken
    _ = try await tokens.authenticate(bearer: token)
    return (tokens, token)
}

/// What jwt-kit decodes a Portcullis token into, for the comparison.
struct JWTKitClaims: JWTPayload {
    let sub: String
    let exp: Int64
    let iat: Int64
    let jti: String
    let sid: String
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// A verifier holding `key` (pinned: no issuer to fetch from) and no revocation feed.
func pinnedVerifier(_ key: SigningKey) async throws -> PortcullisVerifier {
    var configuration = VerifierConfiguration(issuer: "http://127.0.0.1:8080", audiences: ["api"])
    configuration.pinnedKeys = [try await VerificationKey(key)]
    return PortcullisVerifier(configuration: configuration, logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
}

/// Claims of the size Portcullis issues by default.
func claims() -> AccessTokenClaims {
    let now = Int64(Date().timeIntervalSince1970)
    return AccessTokenClaims(
        issuer: "http://127.0.0.1:8080",
        subject: UUID().uuidString.lowercased(),
        audience: ["api"],
        expiresAt: now + 300,
        issuedAt: now,
        tokenID: "eBiNJHVvLr0CNYPa",
        sessionID: "7I60IwpInQpzrUhaH0eyjw",
        clientID: "portcullis",
        roles: []
    )
}
