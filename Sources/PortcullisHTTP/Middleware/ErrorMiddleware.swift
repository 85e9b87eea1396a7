public import Hummingbird
import Logging
import PortcullisCore

/// Turns every error into an RFC 9457 problem answer (or, on the token endpoints, the RFC 6749
/// error it already is), so nothing reaches the client as a bare 500 or with internal detail.
/// This is the one place decoding failures (JSON, forms) become the client's 400. Unexpected
/// errors are logged by type only.
public struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    /// Creates the middleware.
    public init() {}

    public func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let oauth as OAuthError {
            return try oauth.response(from: request, context: context)
        } catch {
            return try Self.problem(for: error, context: context).response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case let domain as PortcullisError:
            return Problem(domain)
        case let store as StoreError where store.kind == .duplicate:
            return Problem(.conflict, detail: "The resource already exists.")
        case is StoreError:
            context.logger.error("store unavailable", metadata: ["portcullis.error": "\(String(describing: error))"])
            return Problem(PortcullisError(.storeUnavailable, "store unavailable"))
        case is DecodingError:
            return Problem(.badRequest, detail: "The request body is not valid for this endpoint: send the documented JSON fields.")
        case is URLEncodedFormError:
            return Problem(.badRequest, detail: "The form body is malformed.")
        case let http as any HTTPResponseError:
            let detail =
                switch http.status {
                case .badRequest: "The request body is not valid for this endpoint: send the documented JSON fields."
                case .contentTooLarge: "The request body is larger than 64 KiB."
                case .notFound: "There is nothing at this path."
                case .methodNotAllowed: "This method is not allowed here."
                default: "The request could not be processed."
                }
            return Problem(http.status, detail: detail)
        default:
            context.logger.error("unexpected error", metadata: ["portcullis.error_type": "\(type(of: error))"])
            return Problem(.internalServerError, detail: "Something went wrong on our side.")
        }
    }
}
