import PortcullisCore

/// The pages of setting up two-step verification: the key to scan, then the recovery codes.
enum TwoStepPages {
    /// The key as a QR code and as text, and the field for the first code (`POST /account/two-step/confirm`).
    static func setup(_ enrolment: TwoStepVerification.Enrolment, csrfToken: String, error: FormError? = nil) -> Page {
        let qr: HTML =
            (try? QRCode(text: enrolment.provisioningURI)).map {
                HTML(stringLiteral: $0.svg(moduleSize: 4, title: "QR code of your two-step verification key"))
            } ?? .empty
        let invalid: HTML = error == nil ? .empty : " aria-invalid=\"true\""
        let describedBy: HTML = error == nil ? "code-hint" : "form-error code-hint"
        return Page(
            title: "Set up two-step verification",
            content: """
                <div class="card">
                <h1>Set up two-step verification</h1>
                <p class="lede">Scan this code with an authenticator app (such as Google Authenticator, Microsoft Authenticator, 1Password or Aegis).</p>
                \(error?.html ?? .empty)
                <div class="qr" id="totp-qr">\(qr)</div>
                <p>Cannot scan it? Type this key into the app instead:</p>
                <p><code class="secret" id="totp-secret">\(enrolment.secret)</code></p>
                <form method="post" action="/account/two-step/confirm">\(FormParts.csrfField(csrfToken))
                <div class="field">
                <label for="code">The 6-digit code the app shows</label>
                <input id="code" name="code" type="text" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]*" \
                required maxlength="7" aria-describedby="\(describedBy)"\(invalid)>
                <p class="hint" id="code-hint">Turning it on signs out every other device and app.</p>
                </div>
                <button class="button button-primary" type="submit">Turn on</button>
                </form>
                <p class="switch"><a href="/account">Not now</a></p>
                </div>
                """
        )
    }

    /// The recovery codes, shown once.
    static func recoveryCodes(_ codes: [String]) -> Page {
        let items: [HTML] = codes.map { "<li><code>\($0)</code></li>" }
        return Page(
            title: "Your recovery codes",
            content: """
                <div class="card">
                <h1>Your recovery codes</h1>
                <p class="lede">Two-step verification is on. If you lose your phone, each of these codes signs you in once instead of a code from the app.</p>
                <div class="alert alert-notice" role="status"><p>Save them somewhere safe now, such as a password manager: they will not be shown again.</p></div>
                <ol class="recovery-codes" id="recovery-codes">\(items)</ol>
                <a class="button button-primary" href="/account">Done</a>
                </div>
                """
        )
    }
}
