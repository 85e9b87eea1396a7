import Crypto
import Foundation

/// The pages' own stylesheet, served from this server (no external hosts, so the pages' CSP
/// can say `style-src 'self'`).
///
/// Its address carries a digest of its content (``path``), so browsers may cache it for a year:
/// a changed stylesheet has a new address.
enum Stylesheet {
    /// The address the pages link to: `/assets/portcullis.css?v=DIGEST`.
    static let path = "/\(route)?v=\(version)"

    /// The route that serves it.
    static let route = "assets/portcullis.css"

    /// The first 12 hex digits of the stylesheet's SHA-256.
    static let version: String = SHA256.hash(data: Array(css.utf8)).prefix(6).map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined()

    /// The CSS (`Resources/portcullis.css`), read once.
    ///
    /// A missing resource is a packaging fault: the `portcullis_PortcullisHTTP.resources` folder
    /// must stay beside the executable, as PortcullisCore's must.
    static let css: String = {
        guard let url = Bundle.module.url(forResource: "portcullis", withExtension: "css"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("portcullis.css is missing from PortcullisHTTP's resources")
        }
        return text
    }()
}
