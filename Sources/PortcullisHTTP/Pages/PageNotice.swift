/// What a page says after a form did its work and redirected (POST/redirect/GET).
///
/// The redirect names a notice by code (`/account?notice=app-revoked`); the page shows the fixed
/// sentence for that code. Nothing from the address bar is ever shown, so a crafted link cannot
/// put words on the page, and an unknown code shows nothing.
enum PageNotice: String {
    case welcome
    case signedOut = "signed-out"
    case signedOutEverywhere = "signed-out-everywhere"
    case deviceSignedOut = "device-signed-out"
    case appRevoked = "app-revoked"
    case passwordReset = "password-reset"
    case passwordChanged = "password-changed"
    case emailVerified = "email-verified"
    case verificationSent = "verification-sent"
    case twoStepOff = "two-step-off"
    case twoStepPasswordWrong = "two-step-password-wrong"
    case twoStepPasswordNeeded = "two-step-password-needed"
    case passkeyAdded = "passkey-added"
    case passkeyRenamed = "passkey-renamed"
    case passkeyRemoved = "passkey-removed"
    case passkeyPasswordNeeded = "passkey-password-needed"

    /// The notice named by a `notice` query value, if it names one.
    init?(code: Substring?) {
        guard let code, let notice = PageNotice(rawValue: String(code)) else { return nil }
        self = notice
    }

    /// The sentence shown.
    var message: String {
        switch self {
        case .welcome: "Your account is ready and you are signed in."
        case .signedOut: "You have signed out."
        case .signedOutEverywhere: "You have signed out everywhere: every device and app needs to sign in again."
        case .deviceSignedOut: "That device has been signed out."
        case .appRevoked: "That app has been signed out."
        case .passwordReset: "Your password has been changed and every device signed out. Sign in with your new password."
        case .passwordChanged: "Your password has been changed. Every other device and app has been signed out."
        case .emailVerified: "Your email address is confirmed."
        case .verificationSent: "We have sent you a new link. It may take a minute to arrive."
        case .twoStepOff: "Two-step verification is off. Every other device and app has been signed out."
        case .twoStepPasswordWrong: "Two-step verification is still on: the password was not right."
        case .twoStepPasswordNeeded: "Nothing was changed: type your password to change two-step verification."
        case .passkeyAdded: "Your passkey is added: use it to sign in. Every other device and app has been signed out."
        case .passkeyRenamed: "The passkey is renamed."
        case .passkeyRemoved: "The passkey is removed. Every other device and app has been signed out."
        case .passkeyPasswordNeeded: "Nothing was changed: type your password (the right one) to change your passkeys."
        }
    }

    /// The notice as a polite live region (announced by screen readers without interrupting).
    var html: HTML {
        "<div class=\"alert alert-notice\" role=\"status\"><p>\(message)</p></div>"
    }

    /// The query that names this notice, to append to a redirect target.
    var query: String { "notice=\(rawValue)" }
}
