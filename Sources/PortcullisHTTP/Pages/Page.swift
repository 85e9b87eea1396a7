import HTTPTypes
import Hummingbird
import NIOCore

/// A whole HTML document: the shell every page shares (language, viewport, stylesheet, the
/// site header) around its own content, and the response that carries it.
struct Page {
    /// How wide the content column is: a form card, or the account page's lists.
    enum Width {
        case narrow, wide
    }

    /// The document title, before " · Portcullis".
    let title: String
    /// The column width.
    var width: Width = .narrow
    /// What the header shows right of the brand (the signed-in user and a sign-out button).
    var headerActions: HTML = .empty
    /// The content of `<main>`.
    let content: HTML
    /// Whether the page offers passkeys, and so loads the passkey script (the only script).
    var usesPasskeys = false

    /// The policy every page is served with: nothing but this server's stylesheet may load, no
    /// script may run, forms post only here, and no other site may frame the page.
    static let contentSecurityPolicy =
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

    /// The policy of a page that offers passkeys: the same, and this server's script (no inline
    /// script, no other host), which may call this server's API.
    static let passkeyContentSecurityPolicy = contentSecurityPolicy + "; script-src 'self'; connect-src 'self'"

    /// The document.
    var html: HTML {
        let widthClass = width == .narrow ? "narrow" : "wide"
        return """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · Portcullis</title>
            <link rel="icon" href="data:,">
            <link rel="stylesheet" href="\(StaticAsset.stylesheet.path)">
            \(usesPasskeys ? "<script src=\"\(StaticAsset.passkeyScript.path)\" defer></script>" : HTML.empty)
            </head>
            <body>
            <a class="skip-link" href="#content">Skip to content</a>
            <header class="site-header \(widthClass)">
            <a class="brand" href="/account">\(Self.brandMark)<span>Portcullis</span></a>
            \(headerActions)
            </header>
            <main id="content" class="\(widthClass)">
            \(content)
            </main>
            </body>
            </html>

            """
    }

    /// The page as a response (`no-store` comes from the security headers middleware).
    func response(status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) -> Response {
        var headers = headers
        headers[.contentType] = "text/html; charset=utf-8"
        headers[.contentSecurityPolicy] = usesPasskeys ? Self.passkeyContentSecurityPolicy : Self.contentSecurityPolicy
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(string: html.markup)))
    }

    /// A gate with its grille down: decorative, so hidden from assistive technology.
    private static let brandMark: HTML = """
        <svg class="brand-mark" viewBox="0 0 32 32" aria-hidden="true" focusable="false">\
        <rect x="1" y="1" width="30" height="30" rx="8"/>\
        <path d="M8 26V13a8 8 0 0 1 16 0v13M12.5 8.6V26M19.5 8.6V26M8 16.5h16M8 21.5h16" fill="none" stroke-width="2" stroke-linecap="round"/>\
        </svg>
        """
}
