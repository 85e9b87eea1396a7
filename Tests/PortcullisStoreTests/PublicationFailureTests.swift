import Foundation
import PortcullisCore
import PortcullisPostgres
import PortcullisSQLite
import PortcullisTesting
import PostgresNIO
import SQLiteNIO
import Testing

/// Ending access and its publication are one transaction: on the backends where a publication
/// can be made to fail, nothing ends without it.
@Suite("A failed publication")
struct PublicationFailureTests {
    @Test(arguments: [Backend.sqlite, .postgres].filter(Backend.available.contains))
    func aFailedPublicationEndsNothing(backend: Backend) async throws {
        let directory = try TemporaryDirectory()
        let store: any PortcullisStore
        let refusePublications: () async throws -> Void
        switch backend {
        case .sqlite:
            let path = directory.path("store.sqlite")
            store = try await SQLiteStore.open(path: path)
            refusePublications = {
                let connection = try await SQLiteConnection.open(storage: .file(path: path))
                _ = try await connection.query("CREATE TRIGGER refuse BEFORE INSERT ON revocations BEGIN SELECT RAISE(ABORT, 'refused'); END")
                try await connection.close()
            }
        default:
            let postgres = try await TestPostgres.freshStore()
            store = postgres
            refusePublications = {
                try await TestPostgres.execute("ALTER TABLE revocations ADD CONSTRAINT refuse CHECK (false) NOT VALID", on: postgres.configuration)
            }
        }
        try await store.migrate()
        let ada = StoreConformance.account("ada@example.com")
        try await store.insertAccount(ada, passwordHash: "h")
        try await store.insertSession(StoreConformance.session(for: ada, id: "s1"))
        try await store.insertRefreshFamily(StoreConformance.family(ada, id: "f1"), firstTokenHash: StoreConformance.hash("t1"))
        _ = try await store.useRefreshToken(
            hash: StoreConformance.hash("t1"),
            successorHash: StoreConformance.hash("t2"),
            now: StoreConformance.t0,
            grace: .seconds(10),
            revocation: StoreConformance.stamp
        )
        try await refusePublications()

        await #expect(throws: (any Error).self) {
            try await store.endAccess(.session(id: "s1", owner: nil), applying: nil, stamp: StoreConformance.stamp)
        }
        await #expect(throws: (any Error).self) {
            try await store.endAccess(.account(id: ada.id), applying: AccountChange(disabled: true), stamp: StoreConformance.stamp)
        }
        await #expect(throws: (any Error).self) {
            try await store.useRefreshToken(
                hash: StoreConformance.hash("t1"),
                successorHash: StoreConformance.hash("t2"),
                now: StoreConformance.t0.addingTimeInterval(60),
                grace: .seconds(10),
                revocation: StoreConformance.stamp
            )
        }
        // Without its publication, nothing ended: a crash between the two cannot happen either.
        #expect(try await store.session(id: "s1") != nil)
        #expect(try await store.account(id: ada.id)?.isDisabled == false)
        #expect(try await store.refreshFamily(id: "f1")?.revokedAt == nil)
        try await store.close()
    }
}
