public import PortcullisCore
import PostgresNIO

extension PostgresStore: StorageFootprintReporting {
    /// Every table of the current schema with its rows and their bytes as PostgreSQL stores them
    /// (`pg_column_size` of each row: the values and the row header, without pages or indexes).
    public func footprint() async throws -> [String: TableFootprint] {
        let tables = try await rows("SELECT tablename FROM pg_tables WHERE schemaname = current_schema()")
            .map { try $0["tablename"].decode(String.self) }
        var footprint: [String: TableFootprint] = [:]
        for table in tables {
            let identifier = "\"" + table.replacing("\"", with: "\"\"") + "\""
            let query = PostgresQuery(unsafeSQL: "SELECT count(*) AS n, coalesce(sum(pg_column_size(t.*)), 0)::bigint AS bytes FROM \(identifier) t")
            let row = try await rows(query).first
            footprint[table] = TableFootprint(
                rows: Int(try row?["n"].decode(Int64.self) ?? 0),
                bytes: Int(try row?["bytes"].decode(Int64.self) ?? 0)
            )
        }
        return footprint
    }
}
