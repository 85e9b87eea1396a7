import Crypto
import Foundation
import Hummingbird

/// A file the pages load from this server (no external hosts, so the pages' CSP can say
/// `style-src 'self'` and, where a page needs script, `script-src 'self'`): the stylesheet, and
/// the passkey script.
///
/// Its address carries a digest of its content (``path``), so browsers may cache it for a year:
/// a changed file has a new address.
struct StaticAsset: Sendable {
    /// The route that serves it: `assets/NAME`.
    let route: String
    /// The content.
    let content: String
    /// Its media type.
    let contentType: String

    /// The pages' stylesheet (`Resources/portcullis.css`).
    static let stylesheet = StaticAsset(resource: "portcullis", extension: "css", contentType: "text/css; charset=utf-8")

    /// The script of the pages that use passkeys (`Resources/passkeys.js`); the only script.
    static let passkeyScript = StaticAsset(resource: "passkeys", extension: "js", contentType: "text/javascript; charset=utf-8")

    /// Reads the resource once. A missing resource is a packaging fault: the
    /// `portcullis_PortcullisHTTP.resources` folder must stay beside the executable, as
    /// PortcullisCore's must.
    private init(resource: String, extension fileExtension: String, contentType: String) {
        guard let url = Bundle.module.url(forResource: resource, withExtension: fileExtension),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("\(resource).\(fileExtension) is missing from PortcullisHTTP's resources")
        }
        self.route = "assets/\(resource).\(fileExtension)"
        self.content = text
        self.contentType = contentType
    }

    /// The first 12 hex digits of the content's SHA-256.
    var version: String {
        SHA256.hash(data: Array(content.utf8)).prefix(6).map { byte in
            let hex = String(byte, radix: 16)
            return hex.count == 1 ? "0" + hex : hex
        }.joined()
    }

    /// The address pages link to: `/assets/NAME?v=DIGEST`.
    var path: String { "/\(route)?v=\(version)" }

    /// The answer to a request for it, cacheable for a year.
    func response() -> Response {
        Response(
            status: .ok,
            headers: [.contentType: contentType, .cacheControl: "public, max-age=31536000, immutable"],
            body: .init(byteBuffer: ByteBuffer(string: content))
        )
    }
}
