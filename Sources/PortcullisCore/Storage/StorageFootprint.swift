/// How much a store holds, table by table: for capacity planning, and for `portcullis compare`,
/// which measures what the server keeps per signed-in user by the difference before and after.
public protocol StorageFootprintReporting: Sendable {
    /// Every table of the schema with its rows and their bytes, by table name.
    func footprint() async throws -> [String: TableFootprint]
}

/// The rows of one table and the bytes of their values.
public struct TableFootprint: Sendable, Hashable, Codable {
    /// How many rows the table holds.
    public var rows: Int
    /// The bytes of those rows, as the backend counts them (docs/operations.md#storage-footprint):
    /// the values themselves, without pages, indexes or free space.
    public var bytes: Int

    /// A footprint of `rows` rows totalling `bytes` bytes.
    public init(rows: Int, bytes: Int) {
        self.rows = rows
        self.bytes = bytes
    }
}
