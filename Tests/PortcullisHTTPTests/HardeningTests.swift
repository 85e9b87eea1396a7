import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import PortcullisCore
import PortcullisHTTP
import PortcullisSQLite
import PortcullisTesting
import Testing

/// The smaller holes of the hardening review, each tried against the application.
@Suite("Hardening")
struct HardeningTests {
    @Test(arguments: ["::ffff:127.0.0.1", "::ffff:10.1.2.3"])
    func ipv4MappedAddressesMatchIPv4Ranges(address: String) {
        #expect(AddressRange("127.0.0.0/8")!.contains(address) || AddressRange("10.0.0.0/8")!.contains(address))
        #expect(AddressRange("::ffff:10.0.0.0/104")!.contains("10.9.9.9"))
        #expect(!AddressRange("192.168.0.0/16")!.contains(address))
    }

    @Test func ipv6ClientsAreThrottledPerSlash64() async throws {
        let app = TestApp {
            $0.loginThrottle = CredentialThrottle.Policy(failuresPerAccount: 100, failuresPerAddress: 5, window: .seconds(60))
            $0.trustedProxies = [AddressRange("127.0.0.0/8")!, AddressRange("::1/128")!]
        }
        try await app.test(.live) { client in
            try await client.register("ada@example.com")
            // Five failures from five addresses of one /64: the network has used its allowance.
            for host in 1...5 {
                let from: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "2001:db8:1:2::\(host)"]
                #expect(try await client.logIn("user\(host)@example.com", "guess guess guess", headers: from).status == .unauthorized)
            }
            let sameNetwork: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "2001:db8:1:2:ffff:ffff:ffff:ffff"]
            #expect(try await client.logIn("ada@example.com", headers: sameNetwork).status == .tooManyRequests)
            let otherNetwork: HTTPFields = [HTTPField.Name("X-Forwarded-For")!: "2001:db8:1:3::1"]
            #expect(try await client.logIn("ada@example.com", headers: otherNetwork).status == .created)
        }
    }

    @Test func concurrentAdminChangesNeverUndoEachOther() async throws {
        let directory = try TemporaryDirectory()
        let store = try await SQLiteStore.open(path: directory.path("store.sqlite"))
        try await store.migrate()
        let app = TestApp(store: store)
        try await app.test { client in
            let admin = try await client.signUpAndLogIn("admin@example.com")
            try await app.promote("admin@example.com")
            var ids: [String] = []
            for index in 0..<15 { ids.append(try #require(try await client.register("user\(index)@example.com").json["id"] as? String)) }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for id in ids {
                    group.addTask { _ = try await Self.patch(client, "/v1/admin/users/\(id)", #"{"roles": ["support"]}"#, admin) }
                    group.addTask { _ = try await Self.patch(client, "/v1/admin/users/\(id)", #"{"disabled": true}"#, admin) }
                }
                try await group.waitForAll()
            }
            for id in ids {
                let account = try #require(try await store.account(id: id))
                #expect(account.isDisabled, "a role change re-enabled \(account.email)")
                #expect(account.roles == ["support"], "a disable undid the role change of \(account.email)")
            }
        }
        try await store.close()
    }

    static func patch(_ client: some TestClientProtocol, _ path: String, _ json: String, _ browser: Browser) async throws -> TestResponse {
        try await client.executeRequest(
            uri: path,
            method: .patch,
            headers: browser.headers([.contentType: "application/json"]),
            body: ByteBuffer(string: json)
        )
    }
}
