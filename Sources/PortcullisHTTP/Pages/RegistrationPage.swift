/// `GET /register`: email and a new password, posting to `POST /register`, which creates the
/// account and signs the browser in.
struct RegistrationPage {
    /// The email typed before a failed attempt.
    var email = ""
    /// Why the last attempt failed.
    var error: FormError?

    /// The page.
    var page: Page {
        Page(
            title: "Create your account",
            content: """
                <div class="card">
                <h1>Create your account</h1>
                <p class="lede">One account, signed in safely on all your devices.</p>
                \(error?.html ?? .empty)
                <form method="post" action="/register">
                \(FormParts.emailField(value: email, error: error))
                \(FormParts.passwordField(new: true, error: error))
                <button class="button button-primary" type="submit">Create account</button>
                </form>
                <p class="switch">Already have an account? <a href="/login">Sign in</a></p>
                </div>
                """
        )
    }
}
