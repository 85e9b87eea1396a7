import ArgumentParser

/// `portcullis`: the authentication server and its administration commands (README, "Administration").
@main
struct PortcullisCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portcullis",
        abstract: "Sessions, tokens and cookies done properly: an authentication server.",
        subcommands: [
            ServeCommand.self, MigrateCommand.self, UsersCommand.self, SessionsCommand.self, ClientsCommand.self, KeysCommand.self,
            RoutesCommand.self, CompareCommand.self,
        ]
    )
}
