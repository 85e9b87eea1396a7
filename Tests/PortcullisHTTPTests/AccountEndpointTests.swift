import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import NIOFoundationEssentialsCompat
import PortcullisCore
import PortcullisHTTP
import PortcullisTesting
import Testing

@Suite("POST /v1/accounts")
struct AccountEndpointTests {
    @Test func registersAnAccount() async throws {
        let app = TestApp()
        try await app.test { client in
            let response = try await client.register("Ada@Example.com")
            #expect(response.status == .created)
            #expect(response.json["email"] as? String == "ada@example.com")
            #expect((response.json["id"] as? String)?.isEmpty == false)
            #expect(response.json["created_at"] is Int)
            #expect(response.json["password"] == nil)
        }
        let stored = try #require(try await app.store.account(email: "ada@example.com"))
        let hash = try #require(try await app.store.passwordHash(accountID: stored.id))
        #expect(hash.hasPrefix("$scrypt$ln=12,r=8,p=1$"))
        #expect(!hash.contains(strongPassword))
    }

    @Test func refusesATakenEmailWith409() async throws {
        try await TestApp().test { client in
            #expect(try await client.register("ada@example.com").status == .created)
            let again = try await client.register("ADA@example.com")
            #expect(again.status == .conflict)
            #expect(again.headers[.contentType] == "application/problem+json")
            #expect(again.json["status"] as? Int == 409)
        }
    }

    @Test(arguments: [
        ("short", "too short"),
        ("qwerty123456", "a common password"),
        ("1QAZ2WSX3EDC", "a common password in other case"),
        ("aaaaaaaaaaaaaaaaaaaa", "one character repeated"),
    ])
    func refusesWeakPasswordsWith400(password: String, why: String) async throws {
        try await TestApp().test { client in
            let response = try await client.register("ada@example.com", password)
            #expect(response.status == .badRequest, "\(why)")
            #expect(response.headers[.contentType] == "application/problem+json")
            #expect(!response.text.contains(password))
        }
    }

    @Test func acceptsAnyUnicodeWithoutCompositionRules() async throws {
        try await TestApp().test { client in
            let unicode = try await client.register("ada@example.com", "ça ne fait rien 🔐🔐")
            let lettersOnly = try await client.register("bob@example.com", "lowercase letters only")
            #expect(unicode.status == .created)
            #expect(lettersOnly.status == .created)
        }
    }

    @Test(arguments: ["not-an-email", "a@b", "two@@example.com", "spa ce@example.com", ""])
    func refusesMalformedEmailsWith400(email: String) async throws {
        try await TestApp().test { client in
            let response = try await client.register(email)
            #expect(response.status == .badRequest)
        }
    }

    @Test func refusesAnOversizedEmailBeforeHashing() async throws {
        try await TestApp().test { client in
            let email = String(repeating: "a", count: 250) + "@example.com"
            let response = try await client.register(email)
            #expect(response.status == .badRequest)
        }
    }

    @Test func refusesAnOversizedPasswordBeforeHashing() async throws {
        let app = TestApp()
        try await app.test { client in
            let before = app.services.hasher.computations
            let oversized = String(repeating: "x", count: 1025)
            let registration = try await client.register("ada@example.com", oversized)
            let login = try await client.logIn("ada@example.com", oversized)
            #expect(registration.status == .badRequest)
            #expect(login.status == .badRequest)
            #expect(app.services.hasher.computations == before)
            #expect(try await app.store.allAccounts().isEmpty)
        }
    }

    @Test func refusesMalformedJSONWith400() async throws {
        try await TestApp().test { client in
            let response = try await client.executeRequest(
                uri: "/v1/accounts",
                method: .post,
                headers: [.contentType: "application/json"],
                body: ByteBuffer(string: "{\"email\": ")
            )
            #expect(response.status == .badRequest)
            #expect(response.headers[.contentType] == "application/problem+json")
        }
    }
}
