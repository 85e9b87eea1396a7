public import PortcullisCore
import SQLiteNIO

extension SQLiteStore: StorageFootprintReporting {
    /// Every table's rows and the bytes of their values: text and blobs by their length, integers
    /// and reals as 8 bytes (SQLite may store small integers in fewer), NULLs as none.
    public func footprint() async throws -> [String: TableFootprint] {
        let tables = try await read("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .compactMap { $0.column("name")?.string }
        var footprint: [String: TableFootprint] = [:]
        for table in tables {
            let columns = try await read("SELECT name FROM pragma_table_info(?)", [.text(table)]).compactMap { $0.column("name")?.string }
            let valueBytes = columns.map { column in
                let name = Self.quoted(column)
                return "CASE typeof(\(name)) WHEN 'null' THEN 0 WHEN 'integer' THEN 8 WHEN 'real' THEN 8 ELSE length(CAST(\(name) AS BLOB)) END"
            }
            let sum = valueBytes.isEmpty ? "0" : valueBytes.joined(separator: " + ")
            let row = try await read("SELECT count(*) AS n, coalesce(sum(\(sum)), 0) AS bytes FROM \(Self.quoted(table))").first
            footprint[table] = TableFootprint(rows: row?.column("n")?.integer ?? 0, bytes: row?.column("bytes")?.integer ?? 0)
        }
        return footprint
    }

    /// `name` as an SQL identifier (the schema's own names, quoted all the same).
    private static func quoted(_ name: String) -> String {
        "\"" + name.replacing("\"", with: "\"\"") + "\""
    }
}
