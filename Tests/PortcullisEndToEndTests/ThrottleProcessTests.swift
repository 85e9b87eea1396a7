import Foundation
import NIOHTTP1
import PortcullisTesting
import Testing

/// The credential throttles of the real executable under concurrency and across instances: no
/// number of simultaneous requests buys more guesses than the window allows.
@Suite("Throttling under concurrency", .serialized, .timeLimit(.minutes(3)))
struct ThrottleProcessTests {
    /// Sends `count` requests at once and returns their statuses.
    static func concurrently(_ count: Int, _ request: @escaping @Sendable (Int) async throws -> Int) async throws -> [Int] {
        try await withThrowingTaskGroup(of: Int.self) { group in
            for index in 0..<count { group.addTask { try await request(index) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
    }

    static func login(_ server: ServerProcess, _ email: String, _ secret: String) async throws -> Int {
        try await server.request(.POST, "/v1/sessions", json: ["email": email, "password": secret]).status
    }

    @Test func fortyConcurrentGuessesAtOneAccountGetTenTries() async throws {
        let directory = try TemporaryDirectory()
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url).status == 0)
        let server = try await ServerProcess.start(in: directory.url)
        let statuses = try await Self.concurrently(40) { _ in try await Self.login(server, "ada@example.com", "wrong guess number one") }
        // A 401 is a guess checked against the password; every other answer must be a 429.
        #expect(statuses.filter { $0 == 401 }.count == 10, "\(statuses.sorted())")
        #expect(statuses.filter { $0 == 429 }.count == 30)
        // The owner is refused too while the window is full: the throttle is checked first.
        #expect(try await Self.login(server, "ada@example.com", password) == 429)
        try await server.stop()
    }

    @Test func concurrentGuessesAtManyAccountsFromOneAddressGetTheAddressAllowance() async throws {
        let directory = try TemporaryDirectory()
        // A hash queue long enough that no guess is turned away for being busy: only the throttle refuses.
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--hash-queue", "200"])
        let statuses = try await Self.concurrently(150) { index in
            try await Self.login(server, "user\(index)@example.com", "wrong guess number one")
        }
        #expect(statuses.filter { $0 == 401 }.count == 100, "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
        #expect(statuses.filter { $0 == 429 }.count == 50)
        try await server.stop()
    }

    @Test func twoInstancesOnOnePostgreSQLShareTheAllowance() async throws {
        let database = try await PostgresCluster.freshSharedDatabase()
        let directory = try TemporaryDirectory()
        let shared = ["--database", database, "--key-file", directory.path("shared.key")]
        #expect(await PortcullisBinary.createUser("ada@example.com", in: directory.url, arguments: shared).status == 0)
        let a = try await ServerProcess.start(in: directory.url, arguments: shared)
        let b = try await ServerProcess.start(in: directory.url, arguments: shared)
        // Alternating, one at a time: the eleventh guess is refused whichever instance gets it.
        var statuses: [Int] = []
        for index in 0..<14 {
            statuses.append(try await Self.login(index.isMultiple(of: 2) ? a : b, "ada@example.com", "wrong guess number one"))
        }
        #expect(statuses == Array(repeating: 401, count: 10) + Array(repeating: 429, count: 4), "\(statuses)")
        // At once, on both: still no more than the allowance for another account.
        #expect(await PortcullisBinary.createUser("bob@example.com", in: directory.url, arguments: shared).status == 0)
        let both = try await Self.concurrently(30) { index in
            try await Self.login(index.isMultiple(of: 2) ? a : b, "bob@example.com", "wrong guess number one")
        }
        #expect(both.filter { $0 == 401 }.count == 10, "\(both.sorted())")
        try await a.stop()
        try await b.stop()
    }

    @Test func registrationIsThrottledPerAddress() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--registration-throttle", "5/h"])
        for index in 0..<5 {
            let created = try await server.request(.POST, "/v1/accounts", json: ["email": "user\(index)@example.com", "password": password])
            #expect(created.status == 201)
        }
        let refused = try await server.request(.POST, "/v1/accounts", json: ["email": "user5@example.com", "password": password])
        #expect(refused.status == 429)
        #expect(refused.headers["retry-after"].first.flatMap(Int.init).map { $0 > 0 && $0 <= 3600 } == true)
        #expect(await PortcullisBinary.run(["users", "list"], in: directory.url).stdout.contains("user5@") == false)
        try await server.stop()
    }

    @Test func theDefaultRegistrationThrottleIsTwentyAnHourAndOffTurnsItOff() async throws {
        let directory = try TemporaryDirectory()
        let server = try await ServerProcess.start(in: directory.url)
        let statuses = try await Self.concurrently(24) { index in
            try await server.request(.POST, "/v1/accounts", json: ["email": "user\(index)@example.com", "password": password]).status
        }
        #expect(statuses.filter { $0 == 201 }.count == 20, "\(statuses.sorted())")
        #expect(statuses.filter { $0 == 429 }.count == 4)
        try await server.stop()

        let unthrottledDirectory = try TemporaryDirectory()
        let unthrottled = try await ServerProcess.start(in: unthrottledDirectory.url, arguments: ["--login-throttle", "off"])
        for index in 0..<25 {
            #expect(
                try await unthrottled.request(.POST, "/v1/accounts", json: ["email": "user\(index)@example.com", "password": password]).status == 201
            )
        }
        try await unthrottled.stop()
    }

    @Test func aFullHashQueueAnswers503WithRetryAfter() async throws {
        let directory = try TemporaryDirectory()
        // Slow hashes (2^16 in a debug build: about a second each), two at a time, one waiting.
        let server = try await ServerProcess.start(in: directory.url, arguments: ["--scrypt-log-n", "16", "--hash-queue", "1"])
        let replies = try await withThrowingTaskGroup(of: ServerProcess.Reply.self) { group in
            for index in 0..<8 {
                group.addTask {
                    try await server.request(
                        .POST,
                        "/v1/sessions",
                        json: ["email": "user\(index)@example.com", "password": "wrong guess number one"]
                    )
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let busy = replies.filter { $0.status == 503 }
        #expect(busy.count >= 4, "\(replies.map(\.status))")
        #expect(busy.allSatisfy { $0.headers["retry-after"].first.flatMap(Int.init) != nil })
        #expect(replies.allSatisfy { $0.status == 401 || $0.status == 503 })
        try await server.stop()
    }
}
