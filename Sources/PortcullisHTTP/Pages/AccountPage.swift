import PortcullisCore

/// `GET /account`: the signed-in person's devices (browser sessions) and apps (refresh
/// families), each with a button that signs it out, and "sign out everywhere".
///
/// Every form carries the session's CSRF token and posts to a `/account/…` action that answers
/// with a redirect (POST/redirect/GET).
struct AccountPage {
    /// The signed-in account.
    let account: Account
    /// The session viewing the page.
    let currentSessionID: String
    /// The CSRF token of that session, for every form.
    let csrfToken: String
    /// Whether mail is on: the email's state with "resend", and the password change, need it.
    let mailEnabled: Bool
    /// The account's live sessions, newest first.
    let sessions: [Session]
    /// The account's live refresh families, newest first.
    let apps: [RefreshFamily]
    /// Whether two-step verification is on, and the recovery codes left.
    let twoStep: TwoStepVerification.Status
    /// Whether setting it up and new recovery codes ask for the password (the sign-in is not recent).
    let twoStepNeedsPassword: Bool
    /// The account's passkeys.
    let passkeys: [Passkey]
    /// What the previous step did.
    var notice: PageNotice?

    /// The page.
    var page: Page {
        Page(
            title: "Your account",
            width: .wide,
            headerActions: """
                <form method="post" action="/logout">\(csrfField)<button class="button button-secondary button-small" type="submit">Sign out</button></form>
                """,
            content: """
                <div class="page-title">
                <h1>Your account</h1>
                <p class="lede">Signed in as <strong class="email">\(account.email)</strong></p>
                </div>
                \(notice?.html ?? .empty)
                \(mailEnabled ? emailSection : .empty)
                <section class="card" aria-labelledby="devices-heading">
                <h2 id="devices-heading">Devices</h2>
                <p class="lede">Browsers signed in to your account. Sign out any you do not recognise.</p>
                <ul class="list" id="devices">
                \(sessions.map(deviceItem))
                </ul>
                </section>
                <section class="card" aria-labelledby="apps-heading">
                <h2 id="apps-heading">Apps</h2>
                <p class="lede">Apps signed in with tokens, such as a mobile app or a command-line tool.</p>
                \(appList)
                </section>
                \(PasskeySection(passkeys: passkeys, csrfToken: csrfToken, needsPassword: twoStepNeedsPassword, twoStepIsOn: twoStep.isOn).html)
                \(twoStepSection)
                \(mailEnabled ? passwordSection : .empty)
                <section class="card danger-zone" aria-labelledby="everywhere-heading">
                <div>
                <h2 id="everywhere-heading">Sign out everywhere</h2>
                <p>Ends every session above, this one included, and every app's tokens. Use it if you have lost a device or think someone else has signed in.</p>
                </div>
                <form method="post" action="/account/sessions/revoke-all">\(csrfField)<button class="button button-danger" type="submit">Sign out everywhere</button></form>
                </section>
                """,
            usesPasskeys: true
        )
    }

    private var csrfField: HTML { FormParts.csrfField(csrfToken) }

    /// The address and whether it is confirmed, with a button to send the link again.
    private var emailSection: HTML {
        let state: HTML =
            account.isEmailVerified
            ? "<span class=\"badge\" id=\"email-state\">Confirmed</span>"
            : "<span class=\"badge badge-warning\" id=\"email-state\">Not confirmed</span>"
        let resend: HTML =
            account.isEmailVerified
            ? .empty
            : """
            <form method="post" action="/account/email-verification">\(csrfField)\
            <button class="button button-secondary button-small" type="submit">Send the link again</button></form>
            """
        return """
            <section class="card" aria-labelledby="email-heading">
            <h2 id="email-heading">Email address</h2>
            <div class="inline-form">
            <p><span class="email">\(account.email)</span> \(state)</p>
            \(resend)
            </div>
            </section>
            """
    }

    /// Two-step verification: set it up, or, when on, new recovery codes and turning it off.
    private var twoStepSection: HTML {
        guard twoStep.isOn else {
            return """
                <section class="card" aria-labelledby="two-step-heading" id="two-step">
                <h2 id="two-step-heading">Two-step verification <span class="badge badge-warning" id="two-step-state">Off</span></h2>
                <p class="lede">Ask for a code from an authenticator app on your phone after your password, so a stolen password is not enough.</p>
                <form method="post" action="/account/two-step">\(csrfField)\(twoStepPassword("setup-password"))\
                <button class="button button-primary" type="submit">Set up</button></form>
                </section>
                """
        }
        let left = twoStep.recoveryCodesLeft
        return """
            <section class="card" aria-labelledby="two-step-heading" id="two-step">
            <h2 id="two-step-heading">Two-step verification <span class="badge" id="two-step-state">On</span></h2>
            <p class="lede">Signing in asks for a code from your authenticator app. \(left) recovery code\(left == 1 ? "" : "s") left.</p>
            <form method="post" action="/account/two-step/recovery-codes">\(csrfField)\(twoStepPassword("codes-password"))\
            <button class="button button-secondary button-small" type="submit">New recovery codes</button></form>
            <form method="post" action="/account/two-step/off">\(csrfField)
            \(FormParts.passwordField(name: "password", label: "Password, to turn it off", new: false))
            <button class="button button-danger" type="submit">Turn off</button>
            </form>
            </section>
            """
    }

    /// The password field of a two-step form, when the sign-in is not recent (`id` tells the forms' fields apart).
    private func twoStepPassword(_ id: String) -> HTML {
        guard twoStepNeedsPassword else { return .empty }
        return """
            <div class="field">
            <label for="\(id)">Password, to confirm it is you</label>
            <input id="\(id)" name="password" type="password" autocomplete="current-password" required>
            </div>
            """
    }

    /// The change of password: the current one and a new one.
    private var passwordSection: HTML {
        """
        <section class="card" aria-labelledby="password-heading">
        <h2 id="password-heading">Change password</h2>
        <p class="lede">Every other device and app signed in to your account will be signed out.</p>
        <form method="post" action="/account/password">\(csrfField)
        \(FormParts.passwordField(name: "current_password", label: "Current password", new: false))
        \(FormParts.passwordField(name: "new_password", label: "New password", new: true))
        <button class="button button-primary" type="submit">Change password</button>
        </form>
        </section>
        """
    }

    private func deviceItem(_ session: Session) -> HTML {
        let isCurrent = session.id == currentSessionID
        let device = UserAgentSummary(session.userAgent).description
        let badge: HTML = isCurrent ? " <span class=\"badge\">This device</span>" : .empty
        let current: String = isCurrent ? "true" : "false"
        let spokenName: String = isCurrent ? "\(device) (this device)" : device
        let address: HTML = session.ipAddress.map { "<div><dt>Address</dt><dd>\($0)</dd></div>" } ?? .empty
        return """
            <li class="item device" data-current="\(current)">
            <div class="item-body">
            <h3 class="item-title">\(device)\(badge)</h3>
            <dl class="facts">
            \(address)
            <div><dt>Signed in</dt><dd>\(DisplayTime(session.createdAt).html)</dd></div>
            <div><dt>Last active</dt><dd>\(DisplayTime(session.lastSeenAt).html)</dd></div>
            </dl>
            </div>
            <form method="post" action="/account/sessions/\(session.id)/revoke">\(csrfField)\
            <button class="button button-secondary button-small" type="submit">Sign out<span class="visually-hidden"> \(spokenName)</span></button></form>
            </li>
            """
    }

    private var appList: HTML {
        guard !apps.isEmpty else { return "<p class=\"empty\">No apps are signed in with tokens.</p>" }
        return "<ul class=\"list\" id=\"apps\">\(apps.map(appItem))</ul>"
    }

    private func appItem(_ family: RefreshFamily) -> HTML {
        """
        <li class="item app">
        <div class="item-body">
        <h3 class="item-title">App signed in with your password</h3>
        <dl class="facts">
        <div><dt>Client</dt><dd>\(family.clientID)</dd></div>
        <div><dt>Signed in</dt><dd>\(DisplayTime(family.createdAt).html)</dd></div>
        <div><dt>Last used</dt><dd>\(DisplayTime(family.lastUsedAt).html)</dd></div>
        <div><dt>Access to</dt><dd>\(family.audience)</dd></div>
        </dl>
        </div>
        <form method="post" action="/account/apps/\(family.id)/revoke">\(csrfField)\
        <button class="button button-secondary button-small" type="submit">Revoke<span class="visually-hidden"> \(family.clientID), signed in \(DisplayTime(family.createdAt).readable)</span></button></form>
        </li>
        """
    }
}
