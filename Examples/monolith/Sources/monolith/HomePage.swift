import Hummingbird
import PortcullisCore

/// The application's own page for a signed-in person: their notes, a form to add one (carrying
/// the session's CSRF token), a link to Portcullis's account page and its sign-out form.
struct HomePage {
    let email: String
    let notes: [String]
    let csrfToken: String

    var response: Response {
        let items = notes.isEmpty ? "<li><em>No notes yet.</em></li>" : notes.map { "<li>\(HTMLText.escape($0))</li>" }.joined()
        let html = """
            <!doctype html>
            <html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Notes</title></head>
            <body>
            <h1>Notes of \(HTMLText.escape(email))</h1>
            <ul>\(items)</ul>
            <form method="post" action="/notes">
            <input type="hidden" name="csrf_token" value="\(HTMLText.escape(csrfToken))">
            <label for="text">New note</label> <input id="text" name="text" required maxlength="500">
            <button type="submit">Add</button>
            </form>
            <p><a href="/account">Your devices</a></p>
            <form method="post" action="/logout">
            <input type="hidden" name="csrf_token" value="\(HTMLText.escape(csrfToken))">
            <button type="submit">Sign out</button>
            </form>
            </body></html>
            """
        return Response(status: .ok, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: .init(string: html)))
    }
}
