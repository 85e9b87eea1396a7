import ArgumentParser
import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP

/// What an administration command works with: the migrated store, the services and the output format.
struct AdminContext {
    let store: any PortcullisStore
    let services: PortcullisServices
    let human: Bool

    /// Opens the store `options` name, migrates it, runs `body`, and closes the store. `flags` are
    /// server settings the command takes on its own command line (`keys rotate --key-publish-ahead`).
    static func with(_ options: StoreOptions, flags: [String: String] = [:], _ body: (AdminContext) async throws -> Void) async throws {
        let logger = Logger(label: "portcullis.admin", factory: { _ in SwiftLogNoOpLogHandler() })
        // An operator waits on the one hash a command makes (users create, users set-password);
        // there are no requests in this process for it to yield to, and at idle priority beside a
        // busy server it could take minutes. So normal is the default here; a set
        // `--hash-priority` still wins.
        var defaults = ServerConfiguration()
        defaults.passwordHashingPriority = .normal
        let configuration = try await Settings.server(options, flags: flags, defaults: defaults)
        let store = try await StoreLocator.open(configuration.database, logger: logger)
        do {
            try await store.migrate()
            let keyEncryption = try KeyEncryptionKey.loadOrCreate(path: configuration.keyFile)
            let services = PortcullisServices(configuration: configuration, store: store, keyEncryption: keyEncryption, logger: logger)
            try await body(AdminContext(store: store, services: services, human: options.human))
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    /// Prints `value` as JSON on stdout, or `rows` as an aligned table with `--human`.
    func print(_ value: some Encodable, human rows: [[String]]) throws {
        if human {
            let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
            for row in rows {
                Swift.print(row.enumerated().map { $1.padding(toLength: widths[$0], withPad: " ", startingAt: 0) }.joined(separator: "  "))
            }
        } else {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            Swift.print(String(decoding: try encoder.encode(value), as: UTF8.self))
        }
    }
}

/// A command that could not do its job: printed as one line on stderr, exit status 1.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String

    init(_ message: String) { self.description = message }
}

extension PortcullisError {
    /// The domain error as a command failure (its reason is safe to print).
    var commandFailure: CommandFailure { CommandFailure(reason) }
}
