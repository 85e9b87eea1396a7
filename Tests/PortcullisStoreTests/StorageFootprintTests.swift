import PortcullisCore
import PortcullisTesting
import Testing

/// The footprint SQLite and PostgreSQL report (what `portcullis compare` measures storage with):
/// every table of the schema, and rows and bytes that grow with what is stored.
@Suite("Storage footprint")
struct StorageFootprintTests {
    static let backends = Backend.available.filter { $0 != .memory }

    @Test(arguments: backends)
    func growsByARowAndItsBytesPerSessionStored(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let reporting = try #require(store as? any StorageFootprintReporting)
            let empty = try await reporting.footprint()
            #expect(Set(["accounts", "sessions", "refresh_families", "revocations", "signing_keys"]).isSubset(of: Set(empty.keys)))
            #expect(empty["sessions"] == TableFootprint(rows: 0, bytes: 0))

            let account = StoreConformance.account("footprint@example.com")
            try await store.insertAccount(account, passwordHash: "phc")
            try await store.insertSession(StoreConformance.session(for: account))
            let one = try #require(try await reporting.footprint()["sessions"])
            try await store.insertSession(StoreConformance.session(for: account))
            let two = try #require(try await reporting.footprint()["sessions"])

            #expect(one.rows == 1)
            #expect(two.rows == 2)
            // A session holds at least its 32-byte secret hash and its ids.
            #expect(one.bytes > 64)
            // Two sessions of the same shape take twice the bytes of one.
            #expect(two.bytes == 2 * one.bytes)
        }
    }
}
