import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP
import Synchronization

/// The two other web servers of the browser experiments, each on a loopback port of its own.
enum DemonstrationSites {
    /// A malicious site: each page posts a form to another site by itself as soon as it loads
    /// (`/portcullis` to Portcullis's "sign out everywhere", with a guessed CSRF token; `/naive`
    /// to the naive site's transfer), as a page an attacker lures a signed-in user to would.
    static func attacker(portcullis: String, naive: String) -> Router<BasicRequestContext> {
        let router = Router()
        router.get("portcullis") { _, _ in page(autoPosting: portcullis + "/account/sessions/revoke-all", fields: ["csrf_token": "guessed"]) }
        router.get("naive") { _, _ in page(autoPosting: naive + "/transfer", fields: ["amount": "1000"]) }
        return router
    }

    /// A site with its defences off: a session cookie that is `SameSite=None` and not
    /// `HttpOnly`, and a state-changing `POST /transfer` that trusts the cookie alone (no CSRF
    /// token, no check of where the request came from). `transfers` counts what it carried out.
    static func naive(transfers: TransferCount) -> Router<BasicRequestContext> {
        let router = Router()
        let secret = SecureRandom.token(byteCount: 16)
        router.get("/") { _, _ in html("<!doctype html><title>Naive bank</title><p>Signed-in area.</p>") }
        router.post("login") { _, _ in
            var response = Response(status: .noContent)
            response.headers[.setCookie] = "naive_session=\(secret); Path=/; Secure; SameSite=None"
            return response
        }
        router.post("transfer") { request, _ in
            guard request.cookies["naive_session"]?.value == secret else { return Response(status: .unauthorized) }
            transfers.increment()
            return html("<!doctype html><title>Done</title><p>Transferred.</p>")
        }
        return router
    }

    private static func page(autoPosting action: String, fields: [String: String]) -> Response {
        let inputs = fields.map { "<input type=\"hidden\" name=\"\(HTMLText.escape($0.key))\" value=\"\(HTMLText.escape($0.value))\">" }.joined()
        return html(
            "<!doctype html><title>Win a prize</title><form id=\"attack\" method=\"post\" action=\"\(HTMLText.escape(action))\">\(inputs)</form>"
                + "<script>document.getElementById('attack').submit()</script>"
        )
    }

    private static func html(_ text: String) -> Response {
        Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// How many transfers the naive site carried out.
final class TransferCount: Sendable {
    private let value = Mutex(0)

    func increment() { value.withLock { $0 += 1 } }

    var current: Int { value.withLock { $0 } }
}
