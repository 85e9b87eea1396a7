import ArgumentParser
import PortcullisCore
import PortcullisHTTP

/// `portcullis sessions list --user ID` and `sessions revoke SESSION_ID | --user ID`.
struct SessionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sessions",
        abstract: "Inspect and revoke browser sessions.",
        subcommands: [List.self, Revoke.self]
    )

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an account's active sessions.")
        @OptionGroup var store: StoreOptions
        @Option(help: "The account id.") var user: String

        func run() async throws {
            try await AdminContext.with(store) { context in
                let sessions = try await context.services.sessions.activeSessions(accountID: user)
                try context.print(
                    sessions.map(SessionSummary.init),
                    human: [["id", "created", "last seen", "expires", "ip", "user agent"]]
                        + sessions.map {
                            [
                                "\($0.id)", "\($0.createdAt.epochSeconds)", "\($0.lastSeenAt.epochSeconds)", "\($0.expiresAt.epochSeconds)",
                                $0.ipAddress ?? "", $0.userAgent ?? "",
                            ]
                        }
                )
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke one session, or every session of an account with --user.")
        @OptionGroup var store: StoreOptions
        @Argument(help: "The session id.") var sessionID: String?
        @Option(help: "Revoke every session of this account instead.") var user: String?

        func validate() throws {
            guard (sessionID == nil) != (user == nil) else { throw ValidationError("give either a SESSION_ID or --user ID") }
        }

        func run() async throws {
            try await AdminContext.with(store) { context in
                let revoked: [String]
                if let user {
                    revoked = try await context.services.accounts.signOutEverywhere(accountID: user).sessionIDs
                } else if let sessionID, try await context.services.sessions.end(sessionID: sessionID) {
                    revoked = [sessionID]
                } else {
                    throw CommandFailure("no session with id \(sessionID ?? "")")
                }
                try context.print(["revoked": revoked], human: [["revoked"]] + revoked.map { [$0] })
            }
        }
    }
}

/// The JSON a session is printed as (the same fields as the HTTP API, without `current`).
struct SessionSummary: Encodable {
    let id: String
    let createdAt: Int64
    let lastSeenAt: Int64
    let expiresAt: Int64
    let userAgent: String?
    let ip: String?

    init(_ session: Session) {
        id = session.id
        createdAt = session.createdAt.epochSeconds
        lastSeenAt = session.lastSeenAt.epochSeconds
        expiresAt = session.expiresAt.epochSeconds
        userAgent = session.userAgent
        ip = session.ipAddress
    }

    enum CodingKeys: String, CodingKey {
        case id, ip
        case createdAt = "created_at"
        case lastSeenAt = "last_seen_at"
        case expiresAt = "expires_at"
        case userAgent = "user_agent"
    }
}
