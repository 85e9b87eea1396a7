import Foundation
import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP

extension Experiments {
    /// The CSRF and XSS rows, run for real in headless Chromium on loopback. Portcullis is served
    /// on `localhost`, an attacker's site on `127.0.0.1` (another site to the browser), and a
    /// naive site with the defences off on `localhost` too.
    /// - Script injected into a Portcullis page signs in, keeps an access token in
    ///   `localStorage`, and tries to read both the session cookie and the token.
    /// - The attacker's page posts a form to Portcullis's "sign out everywhere" with a guessed
    ///   CSRF token; afterwards the browser must still be signed in. The same kind of page posts a
    ///   transfer to the naive site, which carries it out.
    func exposureInBrowser() async throws -> [ComparisonReport.Row] {
        guard WebDriver.isAvailable else {
            throw ExperimentFailure("--browser needs Chromium and chromedriver (\(WebDriver.chromium), \(WebDriver.chromedriver))")
        }
        return try await withInstance(store: MemoryStore(), configure: { $0.publicURL = "http://localhost:\($0.port)" }) { portcullis in
            let email = try await accounts(1, on: portcullis, prefix: "browser")[0]
            let site = "http://localhost:\(portcullis.port)"
            let transfers = TransferCount()
            let logger = Logger(label: "compare", factory: { _ in SwiftLogNoOpLogHandler() })
            let naivePort = try LoopbackPort.free()
            let attackerPort = try LoopbackPort.free()
            let naive = try await InProcessServer.start(
                router: DemonstrationSites.naive(transfers: transfers),
                port: naivePort,
                configuration: ServerConfiguration(),
                logger: logger
            )
            let outcome: BrowserOutcome
            do {
                let attacker = try await InProcessServer.start(
                    router: DemonstrationSites.attacker(portcullis: site, naive: "http://localhost:\(naivePort)"),
                    port: attackerPort,
                    configuration: ServerConfiguration(),
                    logger: logger
                )
                do {
                    let browser = try await WebDriver.start(http: client.http, profile: stores.folder.appendingPathComponent("browser-profile"))
                    do {
                        outcome = try await attacks(
                            in: browser,
                            site: site,
                            portcullisURL: portcullis.url,
                            email: email,
                            naive: "http://localhost:\(naivePort)",
                            attacker: "http://127.0.0.1:\(attackerPort)",
                            transfers: transfers
                        )
                    } catch {
                        await browser.quit()
                        throw error
                    }
                    await browser.quit()
                } catch {
                    await attacker.stop()
                    throw error
                }
                await attacker.stop()
            } catch {
                await naive.stop()
                throw error
            }
            await naive.stop()
            return rows(outcome)
        }
    }

    private func attacks(
        in browser: WebDriver,
        site: String,
        portcullisURL: String,
        email: String,
        naive: String,
        attacker: String,
        transfers: TransferCount
    ) async throws -> BrowserOutcome {
        step("Chromium: sign in, then script in the page")
        // Signed in through the sign-in form, as a person would; the app also keeps an access token
        // in localStorage, as single-page apps often do.
        try await browser.open(site + "/login")
        let literal = { (text: String) in
            String(String(decoding: try JSONSerialization.data(withJSONObject: [text]), as: UTF8.self).dropFirst().dropLast())
        }
        _ = try await browser.run(
            """
            const done = arguments[arguments.length - 1];
            document.getElementById('email').value = \(try literal(email));
            document.getElementById('password').value = \(try literal(Self.password));
            done({});
            document.querySelector("form[action='/login']").submit();
            """
        )
        try await settle(browser, awayFrom: site + "/login")
        guard try await browser.currentURL().hasPrefix(site + "/account") else {
            throw ExperimentFailure("the browser could not sign in: it is on \(try await browser.currentURL())")
        }
        let token = try await client.passwordGrant(portcullisURL, email: email, password: Self.password)

        // XSS: script running in the signed-in page, as injected script would.
        let injected = try await browser.run(
            """
            const done = arguments[arguments.length - 1];
            localStorage.setItem('access_token', \(try literal(token)));
            const found = {cookieRead: document.cookie.includes('__Host-portcullis_session'),
              tokenRead: localStorage.getItem('access_token') === \(try literal(token))};
            fetch('/v1/me').then(r => done({...found, fetchBlocked: false}), () => done({...found, fetchBlocked: true}));
            """
        )

        step("Chromium: forged cross-site posts")
        // CSRF on Portcullis: the attacker's page posts "sign out everywhere" from another site.
        try await browser.open(attacker + "/portcullis")
        try await settle(browser, awayFrom: attacker)
        guard try await browser.currentURL().hasPrefix(site) else {
            throw ExperimentFailure("the attacker's page did not post its form to Portcullis")
        }
        try await browser.open(site + "/account")
        let stillSignedIn = try await browser.currentURL().hasPrefix(site + "/account")

        // The same attack on the naive site, whose cookie also shows what HttpOnly prevents.
        try await browser.open(naive + "/")
        let naiveSignIn = try await browser.run(
            """
            const done = arguments[arguments.length - 1];
            fetch('/login', {method: 'POST'}).then(r => done({status: r.status, cookieRead: document.cookie.includes('naive_session')}))
              .catch(e => done({error: String(e)}));
            """
        )
        try await browser.open(attacker + "/naive")
        let deadline = ContinuousClock.now + .seconds(10)
        while transfers.current == 0, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }

        return BrowserOutcome(
            sessionCookieRead: injected["cookieRead"] as? Bool ?? true,
            tokenRead: injected["tokenRead"] as? Bool ?? false,
            scriptRequestsBlocked: injected["fetchBlocked"] as? Bool ?? false,
            stillSignedInAfterAttack: stillSignedIn,
            naiveCookieRead: naiveSignIn["cookieRead"] as? Bool ?? false,
            naiveTransferMade: transfers.current > 0
        )
    }

    /// Waits (up to 10 s) for the page's own form post to take the browser away from `origin`.
    private func settle(_ browser: WebDriver, awayFrom origin: String) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while try await browser.currentURL().hasPrefix(origin), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(20))
        }
    }

    private func rows(_ outcome: BrowserOutcome) -> [ComparisonReport.Row] {
        let cookie: ComparisonReport.Cell = .outcome(
            (outcome.sessionCookieRead ? "script READ the session cookie" : "script could not read the HttpOnly cookie")
                + (outcome.scriptRequestsBlocked ? "; the page's CSP blocked its requests" : "")
                + (outcome.naiveCookieRead ? " (it read the naive site's cookie, which lacks HttpOnly)" : "")
        )
        let token: ComparisonReport.Cell = .outcome(outcome.tokenRead ? "script read the token from localStorage" : "script could not read the token")
        let forged: ComparisonReport.Cell = .outcome(
            (outcome.stillSignedInAfterAttack ? "refused: still signed in" : "the forged post SUCCEEDED")
                + (outcome.naiveTransferMade ? "; with the defences off (naive site) the forged transfer went through" : "")
        )
        let bearer: ComparisonReport.Cell = .notRun("nothing to forge: a browser never attaches a bearer header by itself")
        return Self.exposureRows(
            xss: [.session: cookie, .jwt: token, .jwtWithFeed: token, .hybrid: cookie],
            csrf: [.session: forged, .jwt: bearer, .jwtWithFeed: bearer, .hybrid: forged]
        )
    }
}

/// What the browser experiments observed.
private struct BrowserOutcome {
    var sessionCookieRead: Bool
    var tokenRead: Bool
    /// Whether the page's Content-Security-Policy stopped the script's own request.
    var scriptRequestsBlocked: Bool
    var stillSignedInAfterAttack: Bool
    var naiveCookieRead: Bool
    var naiveTransferMade: Bool
}
