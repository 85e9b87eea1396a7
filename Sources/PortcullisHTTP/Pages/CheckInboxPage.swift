/// What the mail-sending forms answer: the same page whether or not the address has an account,
/// so the page tells a stranger nothing. With ``resendEmail`` it is the answer to signing in to an
/// unverified account, and offers to send the link again.
struct CheckInboxPage {
    /// The heading.
    var title = "Check your inbox"
    /// What to expect.
    var message = "If an account has this address, we have sent it a link. It may take a minute to arrive; check your spam folder too."
    /// The address to resend a verification link to, if the page offers it.
    var resendEmail: String?

    /// The page.
    var page: Page {
        let resend: HTML =
            resendEmail.map { email in
                """
                <form method="post" action="/verify-email/resend">
                <input type="hidden" name="email" value="\(email)">
                <button class="button button-secondary" type="submit">Send the link again</button>
                </form>
                """
            } ?? .empty
        return Page(
            title: title,
            content: """
                <div class="card">
                <h1>\(title)</h1>
                <p class="lede">\(message)</p>
                \(resend)
                <p class="switch"><a href="/login">Back to sign in</a></p>
                </div>
                """
        )
    }
}
