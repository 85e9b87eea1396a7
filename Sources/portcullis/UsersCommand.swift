import ArgumentParser
import Foundation
import PortcullisCore
import PortcullisHTTP

/// `portcullis users create|list|disable|enable`.
struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Manage accounts.",
        subcommands: [Create.self, List.self, Disable.self, Enable.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account; prints its id.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The account's email address.") var email: String
        @Option(name: .customLong("role"), help: "A role to grant (repeatable), e.g. admin.") var roles: [String] = []
        @Flag(help: "Read the password from standard input (required: passwords never go in arguments).") var passwordStdin = false

        func run() async throws {
            guard passwordStdin else { throw CommandFailure("pass the password on standard input with --password-stdin") }
            var password = String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            while password.hasSuffix("\n") || password.hasSuffix("\r") { password.removeLast() }
            try await AdminContext.with(store) { context in
                do {
                    let account = try await context.services.accounts.register(email: email, password: password, roles: roles)
                    try context.print(AccountBody(account), human: [["id", "email"], [account.id, account.email]])
                } catch let error as PortcullisError {
                    throw error.commandFailure
                }
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts.")
        @OptionGroup var store: StoreOptions

        func run() async throws {
            try await AdminContext.with(store) { context in
                let accounts = try await context.store.allAccounts()
                try context.print(
                    accounts.map(AccountBody.init),
                    human: [["id", "email", "roles", "disabled"]]
                        + accounts.map { [$0.id, $0.email, $0.roles.joined(separator: ","), $0.isDisabled ? "yes" : "no"] }
                )
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable an account and end its sessions.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The account id.") var id: String

        func run() async throws { try await setDisabled(true, id: id, store: store) }
    }

    struct Enable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enable a disabled account.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The account id.") var id: String

        func run() async throws { try await setDisabled(false, id: id, store: store) }
    }

    static func setDisabled(_ disabled: Bool, id: String, store: StoreOptions) async throws {
        try await AdminContext.with(store) { context in
            guard let account = try await context.services.accounts.change(accountID: id, AccountChange(disabled: disabled)) else {
                throw CommandFailure("no account with id \(id)")
            }
            try context.print(AccountBody(account), human: [["id", "email", "disabled"], [account.id, account.email, disabled ? "yes" : "no"]])
        }
    }
}
