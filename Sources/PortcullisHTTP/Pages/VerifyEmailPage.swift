/// `GET /verify-email?token=…`, the page a verification link opens: one button that posts the
/// token. Link scanners that fetch every URL in a mail confirm nothing; a person's click does.
struct VerifyEmailPage {
    /// The token from the link.
    let token: String

    /// The page.
    var page: Page {
        Page(
            title: "Confirm your email address",
            content: """
                <div class="card">
                <h1>Confirm your email address</h1>
                <p class="lede">Press the button to confirm that this address is yours.</p>
                <form method="post" action="/verify-email">
                <input type="hidden" name="token" value="\(token)">
                <button class="button button-primary" type="submit">Confirm</button>
                </form>
                </div>
                """
        )
    }
}
