/// The sign-in's second step: the code from the authenticator app (or a recovery code), posted
/// to `POST /login/code` with the challenge the right password yielded.
///
/// Like the sign-in form it carries no CSRF token (there is no session yet); the challenge is the
/// proof that the password step happened, and it works once, for five minutes.
struct SecondFactorPage {
    /// The `mfa_token` of the password step.
    let challenge: String
    /// Where to go after signing in (already checked by ``LocalRedirect``), if not the account page.
    var next: String?
    /// Why the last code was refused.
    var error: FormError?
    /// What the account can present (``SecondFactorSignIn/Challenge/methods``).
    var methods = ["totp", "recovery_code"]

    /// The page.
    var page: Page {
        let nextField: HTML = next.map { "<input type=\"hidden\" name=\"next\" value=\"\($0)\">" } ?? .empty
        let invalid: HTML = error == nil ? .empty : " aria-invalid=\"true\""
        let describedBy: HTML = error == nil ? "code-hint" : "form-error code-hint"
        let offersCode = methods.contains("totp")
        let passkey: HTML = """
            <button class="button \(offersCode ? "button-secondary" : "button-primary") passkey" type="button" data-passkey="second-step" \
            data-status="passkey-status" hidden>Use a passkey</button>
            <p class="passkey-status" id="passkey-status" role="status"></p>
            """
        guard offersCode else {
            return Page(
                title: "Two-step verification",
                content: """
                    <div class="card">
                    <h1>Two-step verification</h1>
                    <p class="lede">Confirm it is you with one of your passkeys.</p>
                    <form method="post" action="/login/code">
                    <input type="hidden" name="mfa_token" value="\(challenge)">
                    \(nextField)
                    \(passkey)
                    </form>
                    <p class="switch"><a href="/login">Start again</a></p>
                    </div>
                    """,
                usesPasskeys: true
            )
        }
        return Page(
            title: "Two-step verification",
            content: """
                <div class="card">
                <h1>Two-step verification</h1>
                <p class="lede">Enter the 6-digit code your authenticator app shows for this site.</p>
                \(error?.html ?? .empty)
                <form method="post" action="/login/code">
                <div class="field">
                <label for="code">Code</label>
                <input id="code" name="code" type="text" autocomplete="one-time-code" spellcheck="false" autocapitalize="none" \
                required maxlength="16" autofocus aria-describedby="\(describedBy)"\(invalid)>
                <p class="hint" id="code-hint">Lost your phone? Enter one of your recovery codes instead.</p>
                </div>
                <input type="hidden" name="mfa_token" value="\(challenge)">
                \(nextField)
                <button class="button button-primary" type="submit">Verify</button>
                \(methods.contains("webauthn") ? passkey : HTML.empty)
                </form>
                <p class="switch"><a href="/login">Start again</a></p>
                </div>
                """,
            usesPasskeys: methods.contains("webauthn")
        )
    }
}
