/// `GET /reset-password?token=…`, the page a reset link opens: a new password and a button that
/// posts it with the token. Opening the link changes nothing; only the post uses the token.
struct ResetPasswordPage {
    /// The token from the link, carried in a hidden field (the page is never cached and sends no
    /// referrer, so it does not leak from here).
    let token: String
    /// Why the last attempt was refused.
    var error: FormError?

    /// The page.
    var page: Page {
        Page(
            title: "Choose a new password",
            content: """
                <div class="card">
                <h1>Choose a new password</h1>
                <p class="lede">After this, every device and app signed in to your account will be signed out.</p>
                \(error?.html ?? .empty)
                <form method="post" action="/reset-password">
                <input type="hidden" name="token" value="\(token)">
                \(FormParts.passwordField(new: true, error: error, label: "New password"))
                <button class="button button-primary" type="submit">Set my new password</button>
                </form>
                </div>
                """
        )
    }
}
