import Crypto

/// The pages' own stylesheet, served from this server (no external hosts, so the pages' CSP
/// can say `style-src 'self'`).
///
/// Its address carries a digest of its content (``path``), so browsers may cache it for a year:
/// a changed stylesheet has a new address.
enum Stylesheet {
    /// The address the pages link to: `/assets/portcullis.css?v=DIGEST`.
    static let path = "/\(route)?v=\(version)"

    /// The route that serves it.
    static let route = "assets/portcullis.css"

    /// The first 12 hex digits of the stylesheet's SHA-256.
    static let version: String = SHA256.hash(data: Array(css.utf8)).prefix(6).map { byte in
        let hex = String(byte, radix: 16)
        return hex.count == 1 ? "0" + hex : hex
    }.joined()

    /// The CSS: a centred card on a quiet background, system fonts, large touch targets, a
    /// visible focus ring, light and dark schemes.
    static let css = """
        :root {
          color-scheme: light dark;
          --background: #f3f4f8;
          --surface: #ffffff;
          --text: #161b2e;
          --muted: #586079;
          --border: #e0e3ec;
          --border-strong: #b9bfcf;
          --accent: #3446c8;
          --accent-hover: #2736a8;
          --accent-soft: #e8ebfc;
          --on-accent: #ffffff;
          --danger: #b3261e;
          --danger-hover: #8f1d17;
          --danger-soft: #fdeceb;
          --success: #146c43;
          --success-soft: #e6f4ec;
          --focus: #f0a202;
          --radius: 14px;
          --shadow: 0 1px 2px rgb(22 27 46 / 0.05), 0 8px 24px rgb(22 27 46 / 0.06);
        }
        @media (prefers-color-scheme: dark) {
          :root {
            --background: #10131c;
            --surface: #181c28;
            --text: #e9ebf2;
            --muted: #a2a8bb;
            --border: #2a3042;
            --border-strong: #465069;
            --accent: #8c9bff;
            --accent-hover: #a9b4ff;
            --accent-soft: #262d52;
            --on-accent: #10131c;
            --danger: #ff8a80;
            --danger-hover: #ffaba3;
            --danger-soft: #3a1d1c;
            --success: #7ad3a1;
            --success-soft: #16301f;
            --shadow: none;
          }
        }
        *, *::before, *::after { box-sizing: border-box; }
        html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
        body {
          margin: 0;
          min-height: 100vh;
          background: var(--background);
          color: var(--text);
          font: 1rem/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "Helvetica Neue", Arial, sans-serif;
        }
        a { color: var(--accent); text-underline-offset: 0.18em; }
        a:hover { color: var(--accent-hover); }
        :focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
        .visually-hidden {
          position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0; border: 0;
          overflow: hidden; clip-path: inset(50%); white-space: nowrap;
        }
        .skip-link { position: absolute; left: 1rem; top: -3rem; padding: 0.5rem 0.75rem; background: var(--surface); border-radius: 8px; }
        .skip-link:focus { top: 0.75rem; }

        .site-header {
          display: flex; gap: 0.75rem; align-items: center; justify-content: space-between;
          max-width: 46rem; margin: 0 auto; padding: 1.25rem 1rem;
        }
        .site-header.narrow { max-width: 28rem; justify-content: center; padding-top: 2.5rem; }
        .brand { display: inline-flex; gap: 0.6rem; align-items: center; color: var(--text); font-weight: 700; font-size: 1.2rem; text-decoration: none; letter-spacing: -0.01em; }
        .brand:hover { color: var(--text); }
        .brand-mark { width: 2rem; height: 2rem; flex: none; }
        .brand-mark rect { fill: var(--accent); }
        .brand-mark path { stroke: var(--on-accent); }

        main { max-width: 46rem; margin: 0 auto; padding: 0 1rem 4rem; }
        main.narrow { max-width: 28rem; }
        .card {
          background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius);
          box-shadow: var(--shadow); padding: 1.5rem 1.25rem; margin-bottom: 1.25rem;
        }
        @media (min-width: 36rem) { .card { padding: 2rem; } }
        h1 { font-size: 1.625rem; line-height: 1.2; letter-spacing: -0.02em; margin: 0 0 0.375rem; }
        h2 { font-size: 1.1875rem; line-height: 1.3; margin: 0 0 0.25rem; }
        .lede { color: var(--muted); margin: 0 0 1.5rem; }
        .page-title { margin: 0.5rem 0 1.5rem; }
        .page-title .lede { margin: 0; }
        .email { color: var(--text); font-weight: 600; overflow-wrap: anywhere; }

        .alert { border-radius: 10px; padding: 0.875rem 1rem; margin: 0 0 1.25rem; border-left: 4px solid; }
        .alert p { margin: 0; }
        .alert-error { background: var(--danger-soft); border-color: var(--danger); }
        .alert-error strong { color: var(--danger); }
        .alert-notice { background: var(--success-soft); border-color: var(--success); }

        .field { margin: 0 0 1.125rem; }
        .field label { display: block; font-weight: 600; margin: 0 0 0.375rem; }
        .hint { color: var(--muted); font-size: 0.875rem; margin: 0.375rem 0 0; }
        input[type="email"], input[type="password"] {
          display: block; width: 100%; min-height: 2.875rem; padding: 0.625rem 0.75rem;
          font: inherit; color: var(--text); background: var(--surface);
          border: 1px solid var(--border-strong); border-radius: 10px;
        }
        input[type="email"]:focus-visible, input[type="password"]:focus-visible { border-color: var(--accent); border-radius: 10px; }
        input[aria-invalid="true"] { border-color: var(--danger); }
        .checkbox { display: flex; gap: 0.625rem; align-items: flex-start; margin: 0 0 1.5rem; }
        .checkbox input { flex: none; width: 1.25rem; height: 1.25rem; margin: 0.125rem 0 0; accent-color: var(--accent); }
        .checkbox label { font-weight: 500; }
        .checkbox .hint { margin: 0.125rem 0 0; }

        .button {
          display: inline-flex; align-items: center; justify-content: center; gap: 0.5rem;
          min-height: 2.75rem; padding: 0.5rem 1.125rem; border: 1px solid transparent; border-radius: 10px;
          font: inherit; font-weight: 600; line-height: 1.2; white-space: nowrap; text-decoration: none; cursor: pointer;
        }
        .button-primary { width: 100%; background: var(--accent); color: var(--on-accent); }
        .button-primary:hover { background: var(--accent-hover); }
        .button-secondary { background: var(--surface); color: var(--text); border-color: var(--border-strong); }
        .button-secondary:hover { border-color: var(--text); }
        .button-danger { background: var(--danger); color: var(--on-accent); }
        .button-danger:hover { background: var(--danger-hover); }
        .button-small { min-height: 2.5rem; padding: 0.375rem 0.875rem; font-size: 0.9375rem; }
        .switch { margin: 1.5rem 0 0; text-align: center; color: var(--muted); }

        .list { list-style: none; margin: 1rem 0 0; padding: 0; }
        .item { display: flex; gap: 0.75rem 1rem; align-items: center; justify-content: space-between; padding: 1rem 0; border-top: 1px solid var(--border); }
        .item:first-child { border-top: 0; padding-top: 0.25rem; }
        .item:last-child { padding-bottom: 0; }
        .item-body { min-width: 0; }
        .item form { flex: none; }
        .item-title { display: flex; flex-wrap: wrap; gap: 0.375rem 0.5rem; align-items: center; margin: 0; font-size: 1rem; font-weight: 600; }
        .badge-warning { background: var(--danger-soft); color: var(--danger); }
        .inline-form { display: flex; flex-wrap: wrap; gap: 0.75rem; align-items: center; justify-content: space-between; }
        .inline-form p { margin: 0; }
        .forgot { margin: -0.5rem 0 1.25rem; font-size: 0.9375rem; }
        .badge { display: inline-block; padding: 0.0625rem 0.5rem; border-radius: 999px; background: var(--accent-soft); color: var(--accent); font-size: 0.75rem; font-weight: 700; letter-spacing: 0.02em; }
        .facts { display: flex; flex-wrap: wrap; gap: 0.125rem 1.25rem; margin: 0.375rem 0 0; color: var(--muted); font-size: 0.875rem; }
        .facts div { display: flex; gap: 0.3rem; }
        .facts dd { margin: 0; color: var(--text); overflow-wrap: anywhere; }
        .facts dt::after { content: ":"; }
        .empty { color: var(--muted); margin: 1rem 0 0; }
        .danger-zone { display: flex; flex-wrap: wrap; gap: 1rem; align-items: center; justify-content: space-between; }
        .danger-zone p { margin: 0.25rem 0 0; color: var(--muted); max-width: 30rem; }
        @media (max-width: 35.99rem) {
          .item { flex-direction: column; align-items: flex-start; }
          .danger-zone { flex-direction: column; align-items: stretch; }
          .danger-zone .button { width: 100%; }
        }
        """
}
