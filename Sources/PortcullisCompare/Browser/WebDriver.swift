import AsyncHTTPClient
import Foundation
import NIOCore
import NIOFoundationCompat
import PortcullisHTTP

import enum NIOHTTP1.HTTPMethod

/// Headless Chromium driven through chromedriver with the W3C WebDriver protocol (JSON over HTTP
/// on loopback): open a page, run a script in it as injected script would run, read the result.
final class WebDriver {
    /// Where Debian installs them.
    static let chromium = "/usr/bin/chromium"
    static let chromedriver = "/usr/bin/chromedriver"

    /// Whether both are installed.
    static var isAvailable: Bool {
        FileManager.default.isExecutableFile(atPath: chromium) && FileManager.default.isExecutableFile(atPath: chromedriver)
    }

    private let process: Process
    private let base: String
    private let session: String
    private let http: HTTPClient

    private init(process: Process, base: String, session: String, http: HTTPClient) {
        self.process = process
        self.base = base
        self.session = session
        self.http = http
    }

    /// Starts chromedriver and a headless Chromium with a profile in `profile` (an empty folder).
    static func start(http: HTTPClient, profile: URL) async throws -> WebDriver {
        let port = try LoopbackPort.free()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: chromedriver)
        process.arguments = ["--port=\(port)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let base = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(20)
        while true {
            if let status = try? await call(http, .GET, base + "/status"), (status["value"] as? [String: Any])?["ready"] as? Bool == true { break }
            guard ContinuousClock.now < deadline, process.isRunning else {
                await stop(process)
                throw ExperimentFailure("chromedriver did not start")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        let capabilities: [String: Any] = [
            "capabilities": [
                "alwaysMatch": [
                    "goog:chromeOptions": [
                        "binary": chromium,
                        "args": [
                            "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                            "--disable-extensions", "--user-data-dir=\(profile.path)",
                        ],
                    ]
                ]
            ]
        ]
        do {
            let created = try await call(http, .POST, base + "/session", capabilities)
            guard let value = created["value"] as? [String: Any], let session = value["sessionId"] as? String else {
                throw ExperimentFailure("chromedriver did not open a browser: \(created)")
            }
            return WebDriver(process: process, base: base, session: session, http: http)
        } catch {
            await stop(process)
            throw error
        }
    }

    /// Loads `url` and waits for it (and for any navigation it starts at once) to settle.
    func open(_ url: String) async throws {
        _ = try await Self.call(http, .POST, "\(base)/session/\(session)/url", ["url": url])
    }

    /// The address the browser is on.
    func currentURL() async throws -> String {
        try await Self.call(http, .GET, "\(base)/session/\(session)/url")["value"] as? String ?? ""
    }

    /// Runs `script` in the page as an async function body (it ends by calling
    /// `arguments[arguments.length - 1]` with its result) and returns that result.
    func run(_ script: String) async throws -> [String: Any] {
        let answer = try await Self.call(http, .POST, "\(base)/session/\(session)/execute/async", ["script": script, "args": []])
        guard let value = answer["value"] as? [String: Any] else { throw ExperimentFailure("the page script answered \(answer)") }
        return value
    }

    /// Closes the browser and stops chromedriver.
    func quit() async {
        _ = try? await Self.call(http, .DELETE, "\(base)/session/\(session)")
        await Self.stop(process)
    }

    /// Asks chromedriver to end, then ends it if it has not within two seconds. Never blocks a
    /// thread: Foundation's `waitUntilExit` would spin on one of the cooperative pool.
    private static func stop(_ process: Process) async {
        guard process.isRunning else { return }
        process.terminate()
        let deadline = ContinuousClock.now + .seconds(2)
        while process.isRunning, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    private static func call(_ http: HTTPClient, _ method: HTTPMethod, _ url: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(data: try JSONSerialization.data(withJSONObject: body)))
        }
        let response = try await http.execute(request, timeout: .seconds(60))
        let bytes = try await response.body.collect(upTo: 1 << 22)
        return (try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any]) ?? [:]
    }
}
