extension Experiments {
    /// What page script could steal (XSS) and what another site could make the browser send
    /// (CSRF). These need a browser (``exposureInBrowser()``); without one the rows say what the
    /// design promises and that it was not run.
    func exposure() -> [ComparisonReport.Row] {
        let notRun = "not run (pass --browser)"
        return Self.exposureRows(
            xss: [
                .session: .notRun("\(notRun); the cookie is HttpOnly, so script cannot read it"),
                .jwt: .notRun("\(notRun); a token kept in localStorage is readable by any script on the page"),
                .jwtWithFeed: .notRun("\(notRun); as JWT, but a stolen token can be revoked at once"),
                .hybrid: .notRun("\(notRun); the cookie is HttpOnly, minted tokens live minutes"),
            ],
            csrf: [
                .session: .notRun("\(notRun); refused by SameSite=Lax, Fetch Metadata and the CSRF token"),
                .jwt: .notRun("\(notRun); a bearer header is never sent by the browser on its own"),
                .jwtWithFeed: .notRun("\(notRun); as JWT"),
                .hybrid: .notRun("\(notRun); as session"),
            ]
        )
    }

    /// The two exposure rows with these cells, whether run in a browser or not.
    static func exposureRows(
        xss: [ComparisonReport.Approach: ComparisonReport.Cell],
        csrf: [ComparisonReport.Approach: ComparisonReport.Cell]
    ) -> [ComparisonReport.Row] {
        [
            .init(
                id: "exposure.xss",
                group: .exposure,
                label: "Page script reads the credential",
                unit: "",
                cells: xss,
                note:
                    "Script in a signed-in page of the site (as injected script would run) tries to read the session cookie and a token kept in localStorage."
            ),
            .init(
                id: "exposure.csrf",
                group: .exposure,
                label: "Another site posts a form",
                unit: "",
                cells: csrf,
                note:
                    "A page on another site posts a form to an endpoint the session cookie authenticates (Portcullis's \"sign out everywhere\"; with --browser also a naive site's transfer)."
            ),
        ]
    }
}
