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
        autocapitalize="none" required maxlength="254" value="\(value)"\(state(of: .email, error: error, hintID: nil))>
        </div>
        """
    }

    /// A password field: `current-password` to sign in, `new-password` (with the policy as a
    /// hint) to register or reset; `label` is what the field is called on the page.
    static func passwordField(new: Bool, error: FormError?, label: String = "Password") -> HTML {
        let autocomplete = new ? "new-password" : "current-password"
        guard new else {
            return """
                <div class="field">
                <label for="password">Password</label>
                <input id="password" name="password" type="password" autocomplete="\(autocomplete)" required\
                \(state(of: .password, error: error, hintID: nil))>
                </div>
                """
        }
        return """
            <div class="field">
            <label for="password">\(label)</label>
            <input id="password" name="password" type="password" autocomplete="\(autocomplete)" required minlength="12"\
            \(state(of: .password, error: error, hintID: "password-hint"))>
            <p class="hint" id="password-hint">At least 12 characters. A few unrelated words make a strong, memorable password.</p>
            </div>
            """
    }

    /// A password field other than the sign-in and registration ones (a change of password has
    /// two), with its own name, label and, for a new password, the policy as a hint.
    static func passwordField(name: String, label: String, new: Bool) -> HTML {
        let hint: HTML =
            new
            ? "<p class=\"hint\" id=\"\(name)-hint\">At least 12 characters. A few unrelated words make a strong, memorable password.</p>" : .empty
        let describedBy: HTML = new ? " aria-describedby=\"\(name)-hint\" minlength=\"12\"" : .empty
        return """
            <div class="field">
            <label for="\(name)">\(label)</label>
            <input id="\(name)" name="\(name)" type="password" autocomplete="\(new ? "new-password" : "current-password")" required\(describedBy)>
            \(hint)
            </div>
            """
    }

    /// The hidden field that proves an unsafe request comes from this session's own page.
    static func csrfField(_ token: String) -> HTML {
        "<input type=\"hidden\" name=\"csrf_token\" value=\"\(token)\">"
    }

    /// `aria-invalid` when `field` is the one to fix, and `aria-describedby` naming the error
    /// summary (then) and the field's hint (always), so screen readers read both.
    private static func state(of field: FormError.Field, error: FormError?, hintID: String?) -> HTML {
        let isInvalid = error?.field == field
        let descriptions = ((isInvalid ? ["form-error"] : []) + [hintID].compactMap { $0 }).joined(separator: " ")
        let invalid: HTML = isInvalid ? " aria-invalid=\"true\"" : .empty
        let describedBy: HTML = descriptions.isEmpty ? .empty : " aria-describedby=\"\(descriptions)\""
        return "\(invalid)\(describedBy)"
    }
}
