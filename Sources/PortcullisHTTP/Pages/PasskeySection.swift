import PortcullisCore

/// The account page's "Passkeys" card: each passkey with when it was added and last used, a
/// form to rename it and one to remove it, and "Add a passkey" (the one part that needs the
/// passkey script: the browser's authenticator is only reachable from script).
struct PasskeySection {
    /// The account's passkeys.
    let passkeys: [Passkey]
    /// The session's CSRF token, for every form.
    let csrfToken: String
    /// Whether adding or removing needs the password (the sign-in is not recent).
    let needsPassword: Bool
    /// Whether the authenticator app is on: without it, removing the last passkey removes the
    /// last second factor, which always needs the password.
    let twoStepIsOn: Bool

    var html: HTML {
        let list: HTML =
            passkeys.isEmpty
            ? "<p class=\"empty\" id=\"passkeys-empty\">No passkeys yet.</p>"
            : "<ul class=\"list\" id=\"passkeys\">\(passkeys.map(item))</ul>"
        return """
            <section class="card" aria-labelledby="passkeys-heading" id="passkey-settings">
            <h2 id="passkeys-heading">Passkeys</h2>
            <p class="lede">Sign in with your fingerprint, face or screen lock instead of a password. A passkey stays on your \
            device (or your password manager) and only works on this site.</p>
            \(list)
            <form class="passkey-add" id="passkey-add" hidden>\(FormParts.csrfField(csrfToken))
            <div class="field">
            <label for="passkey-name">Name</label>
            <input id="passkey-name" name="name" type="text" maxlength="\(Passkey.maximumNameLength)" placeholder="Laptop" autocomplete="off">
            </div>
            \(password("passkey-add-password"))
            <button class="button button-primary" type="button" data-passkey="register" data-status="passkey-add-status" hidden>Add a passkey</button>
            <p class="passkey-status" id="passkey-add-status" role="status"></p>
            </form>
            </section>
            """
    }

    private func item(_ passkey: Passkey) -> HTML {
        let lastUsed: HTML = passkey.lastUsedAt.map { DisplayTime($0).html } ?? "Never"
        return """
            <li class="item passkey-item">
            <div class="item-body">
            <h3 class="item-title">\(passkey.name)</h3>
            <dl class="facts">
            <div><dt>Added</dt><dd>\(DisplayTime(passkey.createdAt).html)</dd></div>
            <div><dt>Last used</dt><dd>\(lastUsed)</dd></div>
            <div><dt>Synced</dt><dd>\(passkey.isBackupEligible ? "Yes" : "No, this device only")</dd></div>
            </dl>
            </div>
            <form method="post" action="/account/passkeys/\(passkey.id)/rename" class="inline-form">\(FormParts.csrfField(csrfToken))
            <label class="visually-hidden" for="rename-\(passkey.id)">New name for \(passkey.name)</label>
            <input id="rename-\(passkey.id)" name="name" type="text" maxlength="\(Passkey.maximumNameLength)" value="\(passkey.name)" required>
            <button class="button button-secondary button-small" type="submit">Rename</button>
            </form>
            <form method="post" action="/account/passkeys/\(passkey.id)/remove">\(FormParts.csrfField(csrfToken))\
            \(password("remove-\(passkey.id)", always: passkeys.count == 1 && !twoStepIsOn))
            <button class="button button-danger button-small" type="submit">Remove<span class="visually-hidden"> \(passkey.name)</span></button>
            </form>
            </li>
            """
    }

    /// The password field of a form, when the sign-in is not recent, or `always`.
    private func password(_ id: String, always: Bool = false) -> HTML {
        guard needsPassword || always else { return .empty }
        return """
            <div class="field">
            <label for="\(id)">Password, to confirm it is you</label>
            <input id="\(id)" name="password" type="password" autocomplete="current-password" required>
            </div>
            """
    }
}
