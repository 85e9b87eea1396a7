import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Testing

/// The built `portcullis` executable, run as a child process in a directory of its own.
enum PortcullisBinary {
    static let url: URL = {
        if let override = ProcessInfo.processInfo.environment["PORTCULLIS_BINARY"] { return URL(fileURLWithPath: override) }
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("portcullis")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: ".build/debug/portcullis")
    }()

    /// Creates an account with `users create` (its password hashed cheaply, as every command the
    /// tests run). Returns the command's result.
    @discardableResult
    static func createUser(_ email: String, in directory: URL, arguments: [String] = []) async -> (status: Int32, stdout: String, stderr: String) {
        await run(
            ["users", "create", "--email", email, "--password-stdin"] + arguments,
            in: directory,
            stdin: password
        )
    }

    /// Runs an administration command to completion, on a thread of its own so the wait never
    /// blocks the cooperative pool the servers under test need. A command that cannot start
    /// reports status -1.
    static func run(
        _ arguments: [String],
        in directory: URL,
        stdin: String? = nil,
        environment: [String: String] = [:]
    ) async -> (status: Int32, stdout: String, stderr: String) {
        await offloaded {
            do {
                return try launch(arguments, in: directory, stdin: stdin, environment: environment)
            } catch {
                return (-1, "", "\(error)")
            }
        }
    }

    private static func launch(
        _ arguments: [String],
        in directory: URL,
        stdin: String?,
        environment: [String: String]
    ) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // Passwords hash cheaply (N=2^12), like the servers the tests start, unless a test says
        // otherwise: at full cost a debug server verifying them under the suite's load can take
        // longer than a request may.
        process.environment = ProcessInfo.processInfo.environment.merging(["PORTCULLIS_SCRYPT_LOG_N": "12"].merging(environment) { $1 }) { $1 }
        let input = Pipe()
        let output = Pipe()
        let errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}

/// A `portcullis serve` child process listening on a free loopback port.
final class ServerProcess: @unchecked Sendable {
    let process: Process
    let port: Int
    let logFile: URL

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts the server in `directory` and waits until it listens. Password hashing is cheap
    /// (N=2^12) unless the arguments say otherwise, so tests can log in many times. It also runs
    /// at normal priority: the suite's tests run side by side and keep both cores busy, and the
    /// default (hashing yields to everything else, as it should to request handling) would leave
    /// the logins of a debug build, against hashes the command line made at full cost, waiting
    /// longer than a test's deadline.
    static func start(in directory: URL, port: Int = 0, arguments: [String] = [], environment: [String: String] = [:]) async throws -> ServerProcess {
        try await launch(
            PortcullisBinary.url,
            arguments: ["serve", "--port", String(port), "--scrypt-log-n", "12", "--hash-priority", "normal"] + arguments,
            in: directory,
            environment: environment
        )
    }

    /// Starts `executable` in `directory` and waits until its output says it is
    /// `listening on …:PORT`, as `portcullis serve` and the examples do.
    static func launch(
        _ executable: URL,
        arguments: [String] = [],
        in directory: URL,
        environment: [String: String] = [:]
    ) async throws -> ServerProcess {
        let logFile = directory.appendingPathComponent("server-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)
        let log = try FileHandle(forWritingTo: logFile)
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.currentDirectoryURL = directory
        // Passwords hash cheaply (N=2^12), like the servers the tests start, unless a test says
        // otherwise: at full cost a debug server verifying them under the suite's load can take
        // longer than a request may.
        process.environment = ProcessInfo.processInfo.environment.merging(["PORTCULLIS_SCRYPT_LOG_N": "12"].merging(environment) { $1 }) { $1 }
        process.standardOutput = log
        process.standardError = log
        try process.run()
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            if let range = text.range(of: #"listening on [^"\s]*:(\d+)"#, options: .regularExpression),
                let port = Int(text[range].split(separator: ":").last ?? "")
            {
                return ServerProcess(process: process, port: port, logFile: logFile)
            }
            if !process.isRunning { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        process.terminate()
        let text = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
        throw ServerFailedToStart(log: text)
    }

    private init(process: Process, port: Int, logFile: URL) {
        self.process = process
        self.port = port
        self.logFile = logFile
    }

    var log: String { (try? String(contentsOf: logFile, encoding: .utf8)) ?? "" }

    /// Sends `signal` and waits for the process to exit; returns its exit status.
    @discardableResult
    func stop(signal: Int32 = SIGTERM) async throws -> Int32 {
        kill(process.processIdentifier, signal)
        let deadline = ContinuousClock.now + .seconds(20)
        while process.isRunning && ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    // MARK: HTTP

    struct Reply {
        let status: Int
        let headers: HTTPHeaders
        let body: String

        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }

        var sessionCookie: String? {
            headers["set-cookie"].first { $0.hasPrefix("__Host-portcullis_session=") }
                .map { String($0.dropFirst("__Host-portcullis_session=".count).prefix { $0 != ";" }) }
        }
    }

    /// A client that shows redirects instead of following them (the pages answer 303s), with room
    /// for the hundreds of simultaneous requests the concurrency tests send. It lives as long as
    /// the test process.
    static let http: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow)
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 512)
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    func request(
        _ method: HTTPMethod,
        _ path: String,
        json: [String: any Sendable]? = nil,
        form: String? = nil,
        cookie: String? = nil,
        csrf: String? = nil,
        headers: [String: String] = [:],
        body: String? = nil
    ) async throws -> Reply {
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        if let json {
            request.headers.add(name: "content-type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: json)))
        }
        if let form {
            request.headers.add(name: "content-type", value: "application/x-www-form-urlencoded")
            request.body = .bytes(ByteBuffer(string: form))
        }
        if let body { request.body = .bytes(ByteBuffer(string: body)) }
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let cookie { request.headers.add(name: "cookie", value: "__Host-portcullis_session=\(cookie)") }
        if let csrf { request.headers.add(name: "x-csrf-token", value: csrf) }
        let response = try await Self.http.execute(request, timeout: .seconds(30))
        let body = try await response.body.collect(upTo: 1 << 20)
        return Reply(status: Int(response.status.code), headers: response.headers, body: String(buffer: body))
    }
}

struct ServerFailedToStart: Error, CustomStringConvertible {
    let log: String
    var description: String { "the server did not start:\n\(log)" }
}

/// Runs blocking work (waiting for a child process) on a Dispatch thread, not the cooperative pool.
func offloaded<Result: Sendable>(_ work: @escaping @Sendable () -> Result) async -> Result {
    await withCheckedContinuation { continuation in
        DispatchQueue.global().async { continuation.resume(returning: work()) }
    }
}
