import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis clients create --name N`.
struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients",
        abstract: "Manage service clients (microservices that introspect tokens and read the revocation feed).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a service client; prints client_id and client_secret once.")
        @OptionGroup var store: StoreOptions
        @Option(help: "A name for the client.") var name: String

        func run() async throws {
            guard !name.isEmpty, name.utf8.count <= 200 else { throw CommandFailure("--name must be 1 to 200 bytes") }
            try await AdminContext.with(store) { context in
                let (client, secret) = ServiceClient.create(name: name, now: Date(epochSeconds: Date().epochSeconds))
                try await context.store.insertClient(client)
                try context.print(
                    ["client_id": client.id, "client_secret": secret],
                    human: [["client_id", "client_secret"], [client.id, secret]]
                )
            }
        }
    }
}
