/// The sessions-vs-JWT table with measured figures: one column per approach, one row per
/// measure, and the verdict per kind of application that the rows support.
public struct ComparisonReport: Codable, Sendable {
    /// Where and how the figures were measured.
    public var machine: Machine
    /// The columns, in order.
    public var approaches: [Approach]
    /// The rows, grouped by ``Row/group`` and in the order they were measured.
    public var rows: [Row]
    /// Which approach fits each kind of application, and why.
    public var verdicts: [Verdict]

    /// The machine and run the figures come from.
    public struct Machine: Codable, Sendable {
        /// When the run ended (ISO 8601, UTC).
        public var date: String
        /// The processor cores the process may use.
        public var cores: Int
        /// How long each throughput experiment ran, in seconds.
        public var durationSeconds: Double
        /// The stores the experiments ran on (`memory`, `sqlite`, and `postgresql` when given).
        public var stores: [String]
    }

    /// One way to recognise a user after login.
    public enum Approach: String, Codable, CodingKeyRepresentable, Sendable, CaseIterable {
        /// An opaque session id in an `HttpOnly` cookie; the server looks it up.
        case session
        /// A signed access token checked offline; revoked only by expiry.
        case jwt
        /// The same token, checked offline by verifiers that follow the revocation feed.
        case jwtWithFeed = "jwt_feed"
        /// A browser session that mints short access tokens to call other services.
        case hybrid

        /// The column heading.
        public var title: String {
            switch self {
            case .session: "Session cookie"
            case .jwt: "JWT"
            case .jwtWithFeed: "JWT + revocation feed"
            case .hybrid: "Session + short JWT"
            }
        }
    }

    /// What a row measures.
    public enum Group: String, Codable, Sendable, CaseIterable {
        case storage, cost, scaling, revocation, restarts, exposure

        /// The heading of the rows in this group.
        public var title: String {
            switch self {
            case .storage: "Storage"
            case .cost: "Cost per request"
            case .scaling: "From 1 to N instances"
            case .revocation: "Revocation"
            case .restarts: "Restarts"
            case .exposure: "CSRF and XSS exposure"
            }
        }
    }

    /// One measure across the approaches.
    public struct Row: Codable, Sendable {
        /// A stable identifier for scripts, for example `storage.client_bytes.EdDSA`.
        public var id: String
        /// The group it belongs to.
        public var group: Group
        /// What is measured, in words.
        public var label: String
        /// The unit of ``Cell/value``: `bytes`, `µs`, `ms`, `s`, `requests/s`, or `` for outcomes.
        public var unit: String
        /// The figure per approach; an approach the measure does not apply to has no cell.
        public var cells: [Approach: Cell]
        /// How it was measured, or what it means, in one sentence.
        public var note: String

        /// Creates a row.
        public init(id: String, group: Group, label: String, unit: String, cells: [Approach: Cell], note: String) {
            self.id = id
            self.group = group
            self.label = label
            self.unit = unit
            self.cells = cells
            self.note = note
        }
    }

    /// One figure: a value, a distribution, or an outcome in words.
    public struct Cell: Codable, Sendable {
        /// The figure (the median when there is a distribution).
        public var value: Double?
        /// The 99th percentile, for latencies.
        public var p99: Double?
        /// For a latency measured by running the operation back to back on one task: how many
        /// ran per second, the single-core throughput of an operation that only computes.
        public var perSecond: Double?
        /// The outcome in words, or a figure's qualification (`not waited for`, `not run`).
        public var text: String?
        /// Whether the figure was measured in this run (`false`: configured or derived).
        public var measured: Bool

        /// A measured figure, with its 99th percentile when there is one.
        public static func measured(_ value: Double, p99: Double? = nil, _ text: String? = nil) -> Cell {
            Cell(value: value, p99: p99, perSecond: nil, text: text, measured: true)
        }

        /// A figure that follows from the configuration rather than from a measurement.
        public static func derived(_ value: Double, _ text: String) -> Cell {
            Cell(value: value, p99: nil, perSecond: nil, text: text, measured: false)
        }

        /// An observed outcome in words.
        public static func outcome(_ text: String) -> Cell {
            Cell(value: nil, p99: nil, perSecond: nil, text: text, measured: true)
        }

        /// An experiment that did not run, and why.
        public static func notRun(_ why: String) -> Cell {
            Cell(value: nil, p99: nil, perSecond: nil, text: why, measured: false)
        }
    }

    /// The approach that fits one kind of application.
    public struct Verdict: Codable, Sendable {
        /// The kind of application: a monolith, microservices, a mobile app, a cross-domain API.
        public var application: String
        /// The approach that fits it.
        public var approach: Approach
        /// Why, citing the measured rows.
        public var reason: String
    }

    /// The row named `id`.
    public func row(_ id: String) -> Row? { rows.first { $0.id == id } }
}
