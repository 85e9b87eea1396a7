/// The words of one sign-up that its password may not lean on: NIST SP 800-63B §3.1.1.2's
/// "context-specific words, such as the name of the service, the username, and derivatives
/// thereof".
///
/// From the email address: the whole address, its local part without punctuation
/// ("ada.lovelace" gives "adalovelace"), its pieces between punctuation such as `.`, `_`, `-`
/// and `+` ("ada", "lovelace"), and its runs of letters ("lovelace1815" gives "lovelace"). From the service: each word given, likewise whole, without
/// punctuation, and in pieces. All lowercased; words of fewer than 4 characters are dropped.
public struct PasswordContext: Sendable {
    /// The fewest characters a context word must have to count.
    public static let shortestWord = 4

    /// The context words, lowercased, longest first.
    public let words: [String]

    /// The context of a sign-up with `email` (if known) on a service described by `serviceWords`.
    public init(email: String?, serviceWords: [String]) {
        var candidates: [String] = []
        if let email = email?.lowercased(), !email.isEmpty {
            candidates.append(email)
            let localPart = email.lastIndex(of: "@").map { String(email[..<$0]) } ?? email
            candidates += Self.derivatives(of: localPart)
        }
        for word in serviceWords {
            candidates += Self.derivatives(of: word.lowercased())
        }
        var seen = Set<String>()
        words =
            candidates
            .filter { $0.count >= Self.shortestWord && seen.insert($0).inserted }
            .sorted { $0.count > $1.count }
    }

    /// What is left of `password`, lowercased, once every context word in it is taken out (the
    /// longest first), or nil when it contains none.
    public func remainder(of password: String) -> String? {
        var rest = password.lowercased()
        var found = false
        for word in words where rest.contains(word) {
            rest = rest.replacing(word, with: "")
            found = true
        }
        return found ? rest : nil
    }

    /// `text` itself, `text` with only its letters and digits, its runs of letters and digits, and
    /// its runs of letters alone ("lovelace1815" also gives "lovelace").
    private static func derivatives(of text: String) -> [String] {
        let pieces = text.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init)
        let words = text.split(whereSeparator: { !$0.isLetter }).map(String.init)
        return [text, pieces.joined()] + pieces + words
    }
}
