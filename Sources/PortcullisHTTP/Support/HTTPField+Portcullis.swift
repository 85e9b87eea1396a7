import HTTPTypes

extension HTTPField.Name {
    /// `X-CSRF-Token`: the session's CSRF token on unsafe cookie-authenticated requests.
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
    /// `Sec-Fetch-Site`: the browser's word on where a request comes from.
    static let secFetchSite = HTTPField.Name("Sec-Fetch-Site")!
    /// `Clear-Site-Data`, sent at logout.
    static let clearSiteData = HTTPField.Name("Clear-Site-Data")!
    /// `X-Forwarded-For`, believed only from trusted proxies.
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
    /// `Referrer-Policy`.
    static let referrerPolicy = HTTPField.Name("Referrer-Policy")!
    /// `Pragma`, for the token endpoint's `no-cache` (RFC 6749 §5.1).
    static let pragma = HTTPField.Name("Pragma")!
    /// `Last-Event-ID`, where a reconnecting event-stream client resumes.
    static let lastEventID = HTTPField.Name("Last-Event-ID")!
    /// `X-Frame-Options`.
    static let frameOptions = HTTPField.Name("X-Frame-Options")!
}
