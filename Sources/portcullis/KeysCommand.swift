import ArgumentParser
import PortcullisCore
import PortcullisHTTP
import PortcullisTokens

/// `portcullis keys list` and `keys rotate [--alg …] [--now]`.
struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Inspect and rotate the signing keys.",
        subcommands: [List.self, Rotate.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the signing keys and their schedule.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await AdminContext.with(store) { context in
                let keys = try await context.store.signingKeys()
                try context.print(
                    keys.map(KeySummary.init),
                    human: [["kid", "alg", "signs from", "signs until", "verifies until"]]
                        + keys.map {
                            [
                                $0.kid, $0.algorithm.rawValue, "\($0.signsFrom.epochSeconds)", $0.signsUntil.map { "\($0.epochSeconds)" } ?? "-",
                                $0.verifiesUntil.map { "\($0.epochSeconds)" } ?? "-",
                            ]
                        }
                )
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing key; it signs after --key-publish-ahead, or at once with --now.")
        @OptionGroup var store: StoreOptions
        @Option(help: "EdDSA, ES256, RS256 (or HS256 in single-service mode); default: --signing-alg.") var alg: String?
        @Flag(help: "Emergency: sign with the new key at once and end every other key and the tokens it signed.") var now = false
        @Option(help: "How long the new key is published before it signs (default 1m, as for serve).") var keyPublishAhead: String?

        func run() async throws {
            let algorithm: SigningAlgorithm?
            if let alg {
                guard let parsed = SigningAlgorithm(rawValue: alg) else {
                    throw CommandFailure("unknown --alg \(alg): use EdDSA, ES256, RS256 or HS256")
                }
                algorithm = parsed
            } else {
                algorithm = nil
            }
            try await AdminContext.with(store, flags: ["key-publish-ahead": keyPublishAhead].compactMapValues { $0 }) { context in
                do {
                    let key = try await context.services.tokens.keyRing.rotate(algorithm: algorithm, immediately: now)
                    try context.print(
                        KeySummary(key),
                        human: [["kid", "alg", "signs from"], [key.kid, key.algorithm.rawValue, "\(key.signsFrom.epochSeconds)"]]
                    )
                } catch let error as PortcullisError {
                    throw error.commandFailure
                }
            }
        }
    }
}

/// The JSON a key is printed as.
struct KeySummary: Encodable {
    let kid: String
    let alg: String
    let signsFrom: Int64
    let signsUntil: Int64?
    let verifiesUntil: Int64?

    init(_ key: StoredSigningKey) {
        kid = key.kid
        alg = key.algorithm.rawValue
        signsFrom = key.signsFrom.epochSeconds
        signsUntil = key.signsUntil?.epochSeconds
        verifiesUntil = key.verifiesUntil?.epochSeconds
    }

    enum CodingKeys: String, CodingKey {
        case kid, alg
        case signsFrom = "signs_from"
        case signsUntil = "signs_until"
        case verifiesUntil = "verifies_until"
    }
}
