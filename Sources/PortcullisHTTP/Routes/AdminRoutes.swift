import Foundation
import HTTPTypes
import NIOFoundationCompat
import Hummingbird
import Logging
import PortcullisCore
import PortcullisTokens

/// Administration by accounts with the `admin` role, by session (with CSRF token) or bearer
/// token (CONTRACT.md §4).
struct AdminRoutes {
    let services: PortcullisServices

    func register(on router: some RouterMethods<PortcullisRequestContext>) {
        router.post("v1/admin/users/{id}/logout") { request, context in
            var request = request
            let admin = try await Self.requireAdmin(&request, context: context)
            let id = try context.parameters.require("id")
            guard try await services.store.account(id: id) != nil else { throw Problem(.notFound, detail: "There is no account with this id.") }
            try await services.signOutEverywhere(accountID: id)
            context.logger.info("admin logout", metadata: ["portcullis.admin_id": "\(admin.id)", "portcullis.account_id": "\(id)"])
            return Response(status: .noContent)
        }
        router.patch("v1/admin/users/{id}") { request, context in
            var request = request
            let admin = try await Self.requireAdmin(&request, context: context)
            let id = try context.parameters.require("id")
            let change = try await request.decode(as: AccountChange.self, context: context)
            guard var account = try await services.store.account(id: id) else { throw Problem(.notFound, detail: "There is no account with this id.") }
            if let roles = change.roles {
                guard roles.allSatisfy(Self.isValidRole) else {
                    throw Problem(.badRequest, detail: "Roles are 1 to 64 characters of a-z, 0-9, '_', '-', ':' or '.'.")
                }
                if Set(roles) != Set(account.roles) {
                    account.roles = Array(Set(roles)).sorted()
                    _ = try await services.store.updateAccount(account)
                    // A privilege change ends the account's sessions and tokens (SECURITY.md §7):
                    // the next sign-in carries the new roles.
                    try await services.signOutEverywhere(accountID: id)
                }
            }
            if let disabled = change.disabled {
                account = try await services.setDisabled(disabled, accountID: id) ?? account
            }
            context.logger.info("admin changed account", metadata: ["portcullis.admin_id": "\(admin.id)", "portcullis.account_id": "\(id)"])
            return try Response.json(AccountBody(account))
        }
        router.post("v1/admin/keys/rotate") { request, context in
            var request = request
            _ = try await Self.requireAdmin(&request, context: context)
            let body = try await request.collectBody(upTo: context.maxUploadSize)
            let input = body.readableBytes == 0 ? KeyRotation(alg: nil, now: nil) : try JSONDecoder().decode(KeyRotation.self, from: body)
            let algorithm = try input.alg.map { name in
                guard let algorithm = SigningAlgorithm(rawValue: name) else { throw Problem(.badRequest, detail: "alg is EdDSA, ES256, RS256 or HS256.") }
                return algorithm
            }
            let key = try await services.tokens.keyRing.rotate(algorithm: algorithm, immediately: input.now ?? false)
            return try Response.json(RotatedKey(kid: key.kid, alg: key.algorithm.rawValue, signsFrom: key.signsFrom.epochSeconds))
        }
    }

    static func requireAdmin(_ request: inout Request, context: PortcullisRequestContext) async throws -> Account {
        let account = try await context.requireCaller(&request).account
        guard account.roles.contains("admin") else { throw Problem(.forbidden, detail: "This needs the admin role.") }
        return account
    }

    static func isValidRole(_ role: String) -> Bool {
        (1...64).contains(role.utf8.count) && role.utf8.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || [UInt8(ascii: "_"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: ".")].contains(byte)
        }
    }

    struct AccountChange: Decodable {
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
