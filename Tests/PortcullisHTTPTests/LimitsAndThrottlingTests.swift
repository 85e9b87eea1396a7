import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

/// docs/security.md#throttling-and-limits.
@Suite("Limits and throttling")
struct LimitsAndThrottlingTests {
    @Test func bodiesOver64KiBAreRefusedWith413() async throws {
        let app = TestApp()
        try await app.test { client in
            let padding = String(repeating: "a", count: 70 * 1024)
            let response = try await client.post("/v1/accounts", json: ["email": "ada@example.com", "password": strongPassword, "padding": padding])
            #expect(response.status == .contentTooLarge)
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(try await app.store.allAccounts().isEmpty)
        }
    }

    @Test func undeclaredBodiesOver64KiBAreCutOffWith413() async throws {
        // No Content-Length: the limit applies while the body streams in (a real socket, chunked).
        try await TestApp().test(.live) { client in
            let response = try await client.executeRequest(
                uri: "/v1/sessions",
                method: .post,
                headers: [.contentType: "application/json", .transferEncoding: "chunked"],
                body: ByteBuffer(string: "{\"email\":\"" + String(repeating: "a", count: 70 * 1024) + "\"}")
            )
            #expect(response.status == .contentTooLarge)
        }
    }

    @Test(arguments: [HTTPField.Name.cookie, .authorization])
    func credentialHeadersOver8KiBAreRefusedWith431(name: HTTPField.Name) async throws {
        try await TestApp().test { client in
            let response = try await client.get("/v1/me", headers: [name: "x=" + String(repeating: "y", count: 8 * 1024)])
            #expect(response.status.code == 431)
            #expect(!response.text.contains("yyyy"))
        }
    }

    @Test func unknownAccountWrongPasswordAndDisabledAccountGetTheSameAnswer() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            try await client.register("eve@example.com")
            let eve = try #require(try await app.store.account(email: "eve@example.com"))
            _ = try await app.services.accounts.change(accountID: eve.id, AccountChange(disabled: true))

            let unknown = try await client.logIn("nobody@example.com")
            let wrong = try await client.logIn("ada@example.com", "not the right password")
            let disabled = try await client.logIn("eve@example.com")
            for response in [unknown, wrong, disabled] {
                #expect(response.status == .unauthorized)
                #expect(response.headers[.setCookie] == nil)
            }
            #expect(unknown.text == wrong.text)
            #expect(wrong.text == disabled.text)
            #expect(Self.withoutDate(unknown.headers) == Self.withoutDate(wrong.headers))
        }
    }

    @Test func unknownAccountsCostExactlyOneHashLikeWrongPasswords() async throws {
        // Equal timing by construction: every path computes one scrypt hash at the current
        // parameters (a decoy for unknown accounts), so the cost cannot tell them apart.
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            try await client.register("eve@example.com")
            let eve = try #require(try await app.store.account(email: "eve@example.com"))
            _ = try await app.services.accounts.change(accountID: eve.id, AccountChange(disabled: true))
            for (email, password) in [
                ("ada@example.com", "not the right password"), ("nobody@example.com", "not the right password"), ("eve@example.com", strongPassword),
                ("ada@example.com", strongPassword),
            ] {
                let before = app.services.hasher.computations
                _ = try await client.logIn(email, password)
                #expect(app.services.hasher.computations == before + 1, "\(email)")
            }
        }
    }

    @Test func failedLoginsArePerAccountThrottledWithRetryAfter() async throws {
        let app = TestApp()
        try await app.test { client in
            try await client.register("ada@example.com")
            for _ in 0..<10 {
                #expect(try await client.logIn("ada@example.com", "guess guess guess").status == .unauthorized)
            }
            let throttled = try await client.logIn("ada@example.com", "guess guess guess")
            #expect(throttled.status == .tooManyRequests)
            let retryAfter = try #require(throttled.headers[.retryAfter].flatMap(Int.init))
            #expect(retryAfter > 0 && retryAfter <= 15 * 60)
            // Even the right password waits: the throttle is checked before the password.
            #expect(try await client.logIn("ada@example.com").status == .tooManyRequests)
            // Unknown accounts are throttled the same way, so the 429 reveals nothing.
            for _ in 0..<10 { _ = try await client.logIn("nobody@example.com", "guess guess guess") }
            #expect(try await client.logIn("nobody@example.com", "guess guess guess").status == .tooManyRequests)
            // Other accounts are unaffected.
            try await client.register("bob@example.com")
            #expect(try await client.logIn("bob@example.com").status == .created)
            // The owner is never locked out longer than the window.
            app.clock.advance(by: .seconds(15 * 60))
            #expect(try await client.logIn("ada@example.com").status == .created)
        }
    }

    @Test func failedLoginsArePerAddressThrottled() async throws {
        // A real socket, so the server sees a real client address.
        let app = TestApp { $0.loginThrottle = CredentialThrottle.Policy(failuresPerAccount: 100, failuresPerAddress: 5, window: .seconds(60)) }
        try await app.test(.live) { client in
            try await client.register("ada@example.com")
            for index in 0..<5 {
                #expect(try await client.logIn("user\(index)@example.com", "guess guess guess").status == .unauthorized)
            }
            let throttled = try await client.logIn("ada@example.com")
            #expect(throttled.status == .tooManyRequests)
            #expect(throttled.headers[.retryAfter] != nil)
        }
    }

    @Test func throttlingCanBeSwitchedOff() async throws {
        let app = TestApp { $0.loginThrottle = nil }
        try await app.test { client in
            try await client.register("ada@example.com")
            for _ in 0..<12 { _ = try await client.logIn("ada@example.com", "guess guess guess") }
            #expect(try await client.logIn("ada@example.com").status == .created)
        }
    }

    @Test func forwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        let forwarded: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "198.51.100.7, 203.0.113.9"]
        let trusting = TestApp { $0.trustedProxies = [AddressRange("127.0.0.0/8")!, AddressRange("::1/128")!] }
        try await trusting.test(.live) { client in
            try await client.register("ada@example.com")
            let session = try #require(try await client.logIn("ada@example.com", headers: forwarded).json["session"] as? [String: Any])
            #expect(session["ip"] as? String == "203.0.113.9")
        }
        try await TestApp().test(.live) { client in
            try await client.register("ada@example.com")
            let session = try #require(try await client.logIn("ada@example.com", headers: forwarded).json["session"] as? [String: Any])
            let ip = try #require(session["ip"] as? String)
            #expect(ip == "127.0.0.1" || ip == "::1")
        }
    }

    static func withoutDate(_ headers: HTTPFields) -> [String] {
        headers.filter { $0.name != .date }.map { "\($0.name): \($0.value)" }
    }
}
