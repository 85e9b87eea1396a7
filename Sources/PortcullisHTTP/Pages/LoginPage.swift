/// `GET /login`: email, password and "keep me signed in", posting to `POST /login`.
///
/// A signed-out visitor has no session, so this form carries no CSRF token: login CSRF is
/// refused by the Fetch Metadata and `Origin` checks every unsafe request passes through
/// (see `FetchMetadataMiddleware`).
struct LoginPage {
    /// The email typed before a failed attempt.
    var email = ""
    /// Whether "keep me signed in" was ticked before a failed attempt.
    var remember = false
    /// Where to go after signing in (already checked by ``LocalRedirect``), if not the account page.
    var next: String?
    /// What the previous step did (signed out, …).
    var notice: PageNotice?
    /// Why the last attempt failed.
    var error: FormError?
    /// The remembered session's lifetimes, for the checkbox's hint.
    let rememberLifetimes: (idle: Duration, absolute: Duration)
    /// Whether to offer "Forgot your password?" (only when mail is on).
    var offersPasswordReset = false

    /// The page.
    var page: Page {
        let nextField: HTML = next.map { "<input type=\"hidden\" name=\"next\" value=\"\($0)\">" } ?? .empty
        let checked: HTML = remember ? " checked" : .empty
        return Page(
            title: "Sign in",
            content: """
                <div class="card">
                <h1>Sign in</h1>
                <p class="lede">Welcome back. Sign in to manage your account and devices.</p>
                \(notice?.html ?? .empty)
                \(error?.html ?? .empty)
                <form method="post" action="/login">
                \(FormParts.emailField(value: email, error: error))
                \(FormParts.passwordField(new: false, error: error))
                \(offersPasswordReset ? "<p class=\"forgot\"><a href=\"/forgot-password\">Forgot your password?</a></p>" : HTML.empty)
                <div class="checkbox">
                <input id="remember" name="remember" type="checkbox" value="on" aria-describedby="remember-hint"\(checked)>
                <div>
                <label for="remember">Keep me signed in on this device</label>
                <p class="hint" id="remember-hint">\(rememberHint) Leave it unticked on a shared computer.</p>
                </div>
                </div>
                \(nextField)
                <button class="button button-primary" type="submit">Sign in</button>
                <button class="button button-secondary passkey" type="button" data-passkey="sign-in" data-status="passkey-status" hidden>\
                Sign in with a passkey</button>
                <p class="passkey-status" id="passkey-status" role="status"></p>
                </form>
                <p class="switch">New here? <a href="/register">Create an account</a></p>
                </div>
                """,
            usesPasskeys: true
        )
    }

    /// "For up to 30 days, or 7 days without a visit."
    private var rememberHint: String {
        "For up to \(Self.spoken(rememberLifetimes.absolute)), or \(Self.spoken(rememberLifetimes.idle)) without a visit."
    }

    /// A lifetime in the largest whole unit that fits: "30 days", "12 hours", "45 minutes".
    static func spoken(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        let (count, unit): (Int64, String) =
            if seconds >= 86_400 && seconds % 86_400 == 0 { (seconds / 86_400, "day") } else if seconds >= 3600 && seconds % 3600 == 0 {
                (seconds / 3600, "hour")
            } else if seconds >= 60 { (seconds / 60, "minute") } else { (seconds, "second") }
        return "\(count) \(unit)\(count == 1 ? "" : "s")"
    }
}
