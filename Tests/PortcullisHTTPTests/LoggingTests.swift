import Foundation
import HTTPTypes
import HummingbirdTesting
import InMemoryLogging
import Logging
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// docs/security.md#secrets-in-logs: logs never contain a password, cookie value, CSRF token or secret.
@Suite("Logs")
struct LoggingTests {
    @Test func noSecretReachesTheLogsEvenAtTraceLevel() async throws {
        let handler = InMemoryLogHandler()
        var logger = Logger(label: "portcullis", factory: { _ in handler })
        logger.logLevel = .trace
        let app = TestApp(logger: logger)
        let secrets = try await app.test { client in
            let browser = try await client.signUpAndLogIn("ada@example.com")
            _ = try await client.logIn("ada@example.com", "wrong password entirely")
            _ = try await client.register("bob@example.com", "short")
            _ = try await client.get("/v1/me", headers: browser.cookieHeader)
            _ = try await client.get("/v1/me", headers: [.cookie: "__Host-portcullis_session=forged-value-0123456789"])
            let grant = try await client.passwordGrant("ada@example.com")
            let access = try #require(grant.json["access_token"] as? String)
            let refresh = try #require(grant.json["refresh_token"] as? String)
            let next = try #require(try await client.refreshGrant(refresh).json["refresh_token"] as? String)
            _ = try await client.get("/v1/me", headers: bearer(access))
            _ = try await client.get("/v1/me", headers: bearer(access + "x"))
            _ = try await client.revoke(next)
            _ = try await client.delete("/v1/sessions/\(browser.sessionID)", headers: browser.headers())
            return [
                strongPassword, "wrong password entirely", browser.cookie, browser.csrf, "forged-value-0123456789", access, refresh, next,
                String(access.split(separator: ".")[2]),
            ]
        }
        let lines = handler.entries.map { entry in
            "\(entry.message) " + entry.metadata.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        #expect(lines.count > 5)
        #expect(lines.contains { $0.contains("session started") })
        for line in lines {
            for secret in secrets {
                #expect(!line.contains(secret), "log line leaks a secret: \(line)")
            }
        }
    }
}
