import Foundation
import HTTPTypes
import Hummingbird
import Logging
import NIOFoundationCompat
import PortcullisCore
import PortcullisTokens

/// Administration by accounts with the `admin` role, by session (with CSRF token) or bearer
/// token.
struct AdminRoutes {
    let services: PortcullisServices

    func register<Context: PortcullisAuthRequestContext>(on router: some RouterMethods<Context>) {
        router.post("v1/admin/users/{id}/logout") { _, context in
            let admin = try Self.requireAdmin(context: context)
            let id = try context.parameters.require("id")
            guard try await services.store.account(id: id) != nil else { throw Problem(.notFound, detail: "There is no account with this id.") }
            try await services.accounts.signOutEverywhere(accountID: id)
            context.logger.info("admin logout", metadata: ["portcullis.admin_id": "\(admin.id)", "portcullis.account_id": "\(id)"])
            return Response(status: .noContent)
        }
        router.patch("v1/admin/users/{id}") { request, context in
            let admin = try Self.requireAdmin(context: context)
            let id = try context.parameters.require("id")
            let patch = try await request.decodeJSON(as: AccountPatch.self)
            // Disabling and a change of roles sign the account out everywhere (a privilege change
            // must not leave tokens carrying the old roles), in the same store transaction.
            guard let account = try await services.accounts.change(accountID: id, AccountChange(roles: patch.roles, disabled: patch.disabled)) else {
                throw Problem(.notFound, detail: "There is no account with this id.")
            }
            context.logger.info("admin changed account", metadata: ["portcullis.admin_id": "\(admin.id)", "portcullis.account_id": "\(id)"])
            return try Response.json(AccountBody(account))
        }
        router.post("v1/admin/keys/rotate") { request, context in
            var request = request
            _ = try Self.requireAdmin(context: context)
            // The body is optional: an empty one rotates with the defaults; any other must be JSON.
            let body = try await request.collectBody(upTo: RequestLimits.maximumBodyBytes)
            let input: KeyRotation
            if body.readableBytes == 0 {
                input = KeyRotation(alg: nil, now: nil)
            } else {
                guard Request.mediaType(of: request.headers) == "application/json" else { throw Problem.unsupportedMediaType("application/json") }
                input = try JSONDecoder().decode(KeyRotation.self, from: body)
            }
            let algorithm = try input.alg.map { name in
                guard let algorithm = SigningAlgorithm(rawValue: name) else {
                    throw Problem(.badRequest, detail: "alg is EdDSA, ES256, RS256 or HS256.")
                }
                return algorithm
            }
            let key = try await services.tokens.keyRing.rotate(algorithm: algorithm, immediately: input.now ?? false)
            return try Response.json(RotatedKey(kid: key.kid, alg: key.algorithm.rawValue, signsFrom: key.signsFrom.epochSeconds))
        }
    }

    static func requireAdmin(context: some PortcullisAuthRequestContext) throws -> Account {
        let account = try context.requireCaller().account
        guard account.roles.contains("admin") else { throw Problem(.forbidden, detail: "This needs the admin role.") }
        return account
    }

    struct AccountPatch: Decodable {
        let disabled: Bool?
        let roles: [String]?
    }

    struct KeyRotation: Decodable {
        let alg: String?
        let now: Bool?
    }

    struct RotatedKey: Encodable {
        let kid: String
        let alg: String
        let signsFrom: Int64

        enum CodingKeys: String, CodingKey {
            case kid, alg
            case signsFrom = "signs_from"
        }
    }
}
