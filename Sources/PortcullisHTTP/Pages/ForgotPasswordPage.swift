/// `GET /forgot-password`: an email address, posting to `POST /forgot-password`, which mails a
/// reset link if the address has an account and answers the same way if it has not.
struct ForgotPasswordPage {
    /// The email typed before a refused attempt.
    var email = ""
    /// Why the last attempt was refused (a malformed address, too many requests).
    var error: FormError?

    /// The page.
    var page: Page {
        Page(
            title: "Reset your password",
            content: """
                <div class="card">
                <h1>Reset your password</h1>
                <p class="lede">Enter the email address of your account. We will send you a link to choose a new password.</p>
                \(error?.html ?? .empty)
                <form method="post" action="/forgot-password">
                \(FormParts.emailField(value: email, error: error))
                <button class="button button-primary" type="submit">Send me a link</button>
                </form>
                <p class="switch">Remembered it? <a href="/login">Sign in</a></p>
                </div>
                """
        )
    }
}
