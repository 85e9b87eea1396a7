/// Why a form was not accepted, as the page shows it: a summary at the top of the form that
/// screen readers announce at once, and the field to fix marked invalid and pointing at it.
struct FormError: Equatable {
    /// The fields a message can be about.
    enum Field {
        case email, password
    }

    /// What failed, e.g. "Could not sign in".
    let title: String
    /// What to do about it.
    let message: String
    /// The field to fix, if the message is about one.
    var field: Field?

    /// The summary (`role="alert"`, so it is announced as soon as the page loads).
    var html: HTML {
        "<div class=\"alert alert-error\" role=\"alert\" id=\"form-error\"><p><strong>\(title).</strong> \(message)</p></div>"
    }
}

/// The inputs the login and registration forms share, each with its `<label for>`, its
/// `autocomplete` purpose and, when it is the field to fix, `aria-invalid` and a pointer to the
/// error summary.
enum FormParts {
    /// The email field; `value` is what the person typed before (never the password).
    static func emailField(value: String, error: FormError?) -> HTML {
        """
        <div class="field">
        <label for="email">Email address</label>
        <input id="email" name="email" type="email" autocomplete="email" inputmode="email" spellcheck="false" \
        autocapitalize="none" required maxlength="254" value="\(value)"\(invalid(.email, error))>
        </div>
        """
    }

    /// A password field: `current-password` to sign in, `new-password` (with the policy as a
    /// hint) to register.
    static func passwordField(new: Bool, error: FormError?) -> HTML {
        let hint: HTML = new
            ? "<p class=\"hint\" id=\"password-hint\">At least 12 characters. A few unrelated words make a strong, memorable password.</p>"
            : .empty
        let describedBy: HTML = new ? " aria-describedby=\"password-hint\"" : .empty
        let autocomplete = new ? "new-password" : "current-password"
        let minimumLength: HTML = new ? " minlength=\"12\"" : .empty
        return """
            <div class="field">
            <label for="password">Password</label>
            <input id="password" name="password" type="password" autocomplete="\(autocomplete)" required\(minimumLength)\
            \(error?.field == .password ? invalid(.password, error) : describedBy)>
            \(hint)
            </div>
            """
    }

    /// The hidden field that proves an unsafe request comes from this session's own page.
    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(token)\">"
    }

    private static func invalid(_ field: FormError.Field, _ error: FormError?) -> HTML {
        error?.field == field ? " aria-invalid=\"true\" aria-describedby=\"form-error\"" : .empty
    }
}
