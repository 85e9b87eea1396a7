extension Experiments {
    /// What page script could steal (XSS) and what another site could make the browser send
    /// (CSRF). These need a browser (``exposureInBrowser()``); without one the rows say what the
    /// design promises and that it was not run.
    func exposure() -> [ComparisonReport.Row] {
        let notRun = "not run (pass --browser)"
        return [
            .init(
                id: "exposure.xss",
                group: .exposure,
                label: "Page script reads the credential",
                unit: "",
                cells: [
                    .session: .notRun("\(notRun); the cookie is HttpOnly, so script cannot read it"),
                    .jwt: .notRun("\(notRun); a token kept in localStorage is readable by any script on the page"),
                    .jwtWithFeed: .notRun("\(notRun); as JWT, but a stolen token can be revoked at once"),
                    .hybrid: .notRun("\(notRun); the cookie is HttpOnly, minted tokens live minutes"),
                ],
                note: "Injected script on the site's own page tries to read the session cookie and a token in localStorage."
            ),
            .init(
                id: "exposure.csrf",
                group: .exposure,
                label: "Another site posts a form",
                unit: "",
                cells: [
                    .session: .notRun("\(notRun); refused by SameSite=Lax, Fetch Metadata and the CSRF token"),
                    .jwt: .notRun("\(notRun); a bearer header is never sent by the browser on its own"),
                    .jwtWithFeed: .notRun("\(notRun); as JWT"),
                    .hybrid: .notRun("\(notRun); as session"),
                ],
                note: "A cross-site form posts to an endpoint that the cookie authenticates."
            ),
        ]
    }
}
