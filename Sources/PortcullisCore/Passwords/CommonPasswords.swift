/// The list of passwords too common to accept (SECURITY.md §15).
///
/// The shipped list is zxcvbn's 30,000 most common passwords (see `CommonPasswordList.swift` and
/// `Scripts/generate-common-passwords.py` for its source and licence). Matching ignores case.
public struct CommonPasswords: Sendable {
    private let words: Set<String>

    /// The list shipped with Portcullis, parsed once per process.
    public static let shipped = CommonPasswords(list: shippedList)

    /// A list from newline-separated text.
    public init(list: String) {
        self.words = Set(list.split(separator: "\n").map { $0.lowercased() })
    }

    /// How many passwords the list holds.
    public var count: Int { words.count }

    /// Whether `password` is on the list.
    public func contains(_ password: String) -> Bool {
        words.contains(password.lowercased())
    }
}
