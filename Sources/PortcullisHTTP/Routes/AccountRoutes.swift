import Hummingbird
import Logging
import PortcullisCore

/// `POST /v1/accounts`: self-service registration.
struct AccountRoutes {
    let accounts: AccountService

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/accounts") { request, context in
            let input = try await request.decodeJSON(as: Registration.self)
            let account = try await accounts.register(email: input.email, password: input.password, clientAddress: context.clientAddress)
            context.logger.info("account registered", metadata: ["portcullis.account_id": "\(account.id)"])
            return try Response.json(Created(id: account.id, email: account.email, createdAt: account.createdAt.epochSeconds), status: .created)
        }
    }

    struct Registration: Decodable {
        let email: String
        let password: String
    }

    struct Created: Encodable {
        let id: String
        let email: String
        let createdAt: Int64

        enum CodingKeys: String, CodingKey {
            case id, email
            case createdAt = "created_at"
        }
    }
}
