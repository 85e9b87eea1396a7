/// A page that only explains why an action did not happen and leads back to the account page:
/// a form that is out of date (CSRF token missing or wrong), or a device or app that is no
/// longer signed in.
struct MessagePage {
    /// The heading.
    let title: String
    /// What happened and what to do.
    let message: String

    /// The page.
    var page: Page {
        Page(
            title: title,
            content: """
                <div class="card">
                <h1>\(title)</h1>
                <p class="lede">\(message)</p>
                <a class="button button-primary" href="/account">Back to your account</a>
                </div>
                """
        )
    }

    /// 403 for a form posted without its session's CSRF token.
    static let formExpired = MessagePage(
        title: "This form has expired",
        message: "For your safety the action was not carried out. Open your account page again and retry from there."
    )

    /// 400 for a mail link that cannot be used.
    static let linkExpired = MessagePage(
        title: "This link cannot be used",
        message: "It is invalid, has been used already, or has expired. Ask for a new one: sign in, or use \"Forgot your password?\"."
    )

    /// 404 for a device or app that is not (or no longer) signed in to this account.
    static let notSignedIn = MessagePage(
        title: "Nothing to sign out",
        message: "That device or app is not signed in to your account any more, so there was nothing to do."
    )
}
