// `Bundle` lives in Foundation proper, not in FoundationEssentials.
import Foundation

/// The list of passwords too common to accept (docs/security.md#passwords-and-sign-in).
///
/// The shipped list is the breached passwords of 12 characters or more among the million most
/// common of Mark Burnett's ten million (SecLists, MIT licence): the resource
/// `Resources/common-passwords.txt`, built by `Scripts/generate-common-passwords.py`, which names
/// its source and licence. Matching ignores case.
public struct CommonPasswords: Sendable {
    private let words: Set<String>

    /// The list shipped with Portcullis, read from the module's resources once per process.
    public static let shipped = CommonPasswords(list: shippedList())

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

    /// The shipped resource without its header (the `#` lines at the top).
    ///
    /// A missing resource is a packaging fault: the `portcullis_PortcullisCore.resources` folder
    /// must stay beside the executable. Refusing to run beats silently accepting every password.
    private static func shippedList() -> String {
        guard let url = Bundle.module.url(forResource: "common-passwords", withExtension: "txt"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else {
            fatalError("common-passwords.txt is missing from PortcullisCore's resources")
        }
        var body = text[...]
        while body.hasPrefix("#"), let end = body.firstIndex(of: "\n") {
            body = body[body.index(after: end)...]
        }
        return String(body)
    }
}
