/// Recognises passwords made of repeated or sequential characters, which NIST SP 800-63B §3.1.1.2
/// asks verifiers to refuse ("aaaaaa", "1234abcd").
///
/// After lowercasing, a password is predictable when any of these holds:
/// - it has fewer than 4 distinct characters ("aaaa1111bbbb", "passpasspass");
/// - it splits into pieces where every character but at most 2 belongs to a pattern of 3 or more
///   characters: one character repeated ("aaaa"), a step of one forwards or backwards along the
///   alphabet, the digits (9 wraps to 0), a row or column of a QWERTY, QWERTZ or AZERTY keyboard
///   or a column of the number pad ("abcd", "8765", "7890", "qwerty", "1qaz"), two such steps
///   typed in turn for 6 or more characters ("1q2w3e"), or a copy of text that came earlier in
///   the password ("abcdef123456", "qwertyuiopas", "1qaz2wsx3edc");
/// - it is a shorter string typed two or more times over (possibly with a partial copy at the
///   end), one copy of which is shorter than the minimum length ("passwordpassword").
///
/// Characters on none of these tracks (most scripts but Latin) never form sequences, so such a
/// passphrase is judged by the repetition rules alone.
public enum PredictablePassword {
    /// Whether `password` is essentially repetitions and sequences (see the type's rules).
    /// - Parameter minimumCharacters: a repeated string counts as predictable when one copy of it
    ///   has fewer characters than this; pass the policy's minimum length.
    public static func isPredictable(_ password: String, minimumCharacters: Int = 12) -> Bool {
        let characters = Array(password.lowercased())
        if Set(characters).count < 4 { return true }
        if uncoveredCharacters(characters) <= 2 { return true }
        let period = shortestPeriod(characters)
        return characters.count >= 2 * period && period < minimumCharacters
    }

    /// The fewest characters left over when `characters` is cut into patterns of length 3 or
    /// more and single leftover characters (dynamic programming over prefixes).
    static func uncoveredCharacters(_ characters: [Character]) -> Int {
        let count = characters.count
        guard count >= 3 else { return count }
        // best[i]: the fewest leftover characters in the first i characters.
        var best = [Int](repeating: 0, count: count + 1)
        var sameRun = 0
        var interleaved = 0
        var trackRuns = [Int](repeating: 0, count: steps.count)
        // commonSuffix[a]: length of the longest common suffix of the prefixes of length a and i.
        var commonSuffix = [Int](repeating: 0, count: count + 1)
        for i in 1...count {
            let character = characters[i - 1]
            let previous: Character? = i > 1 ? characters[i - 2] : nil
            sameRun = previous == character ? sameRun + 1 : 1
            var longest = sameRun
            for (index, step) in steps.enumerated() {
                if let previous, step.follows(previous, with: character) {
                    trackRuns[index] += 1
                } else {
                    trackRuns[index] = 1
                }
                longest = max(longest, trackRuns[index])
            }
            // A copy of earlier text: the part ending at i must also end at some a ≤ its own start.
            var copied = 0
            for a in stride(from: i - 1, through: 1, by: -1) {
                commonSuffix[a] = characters[a - 1] == character ? commonSuffix[a - 1] + 1 : 0
                copied = max(copied, min(commonSuffix[a], i - a))
            }
            longest = max(longest, copied)

            // Two sequences typed in turn ("1q2w3e"): each character one step on from the one
            // two places before it.
            if i > 2, steps.contains(where: { $0.follows(characters[i - 3], with: character) }) {
                interleaved += 1
            } else {
                interleaved = min(i, 2)
            }

            best[i] = best[i - 1] + 1
            // Every kind of pattern stays a pattern when shortened from the left, down to its
            // shortest: 3 characters, or 6 for two sequences in turn.
            if longest >= 3 {
                for length in 3...longest {
                    best[i] = min(best[i], best[i - length])
                }
            }
            if interleaved >= 6 {
                for length in 6...interleaved {
                    best[i] = min(best[i], best[i - length])
                }
            }
        }
        return best[count]
    }

    /// The smallest p such that every character equals the one p places before it.
    static func shortestPeriod(_ characters: [Character]) -> Int {
        guard !characters.isEmpty else { return 0 }
        // Knuth–Morris–Pratt failure function: the longest proper border of each prefix.
        var border = [Int](repeating: 0, count: characters.count + 1)
        var length = 0
        for i in 1..<characters.count {
            while length > 0 && characters[i] != characters[length] { length = border[length] }
            if characters[i] == characters[length] { length += 1 }
            border[i + 1] = length
        }
        return characters.count - border[characters.count]
    }

    /// One direction along one track of characters.
    struct Step: Sendable {
        let positions: [Character: Int]
        let length: Int
        let wraps: Bool
        let direction: Int

        /// Whether `next` comes one place after `character` in this direction.
        func follows(_ character: Character, with next: Character) -> Bool {
            guard let from = positions[character], let to = positions[next] else { return false }
            let target = from + direction
            return to == (wraps ? (target + length) % length : target)
        }
    }

    /// Lowercase tracks along which typing is predictable; "wrap" marks the ones that go round.
    static let tracks: [(String, wraps: Bool)] = [
        ("abcdefghijklmnopqrstuvwxyz", false),
        ("0123456789", true),
        // Keyboard rows: QWERTY, then those QWERTZ and AZERTY have of their own.
        ("`1234567890-=", false), ("qwertyuiop[]\\", false), ("asdfghjkl;'", false), ("zxcvbnm,./", false),
        ("qwertzuiopü", false), ("asdfghjklöä", false), ("yxcvbnm,.-", false),
        ("azertyuiop", false), ("qsdfghjklm", false), ("wxcvbn,;:!", false),
        // QWERTY columns, top to bottom, and the number pad's.
        ("1qaz", false), ("2wsx", false), ("3edc", false), ("4rfv", false), ("5tgb", false),
        ("6yhn", false), ("7ujm", false), ("8ik,", false), ("9ol.", false), ("0p;/", false),
        ("741", false), ("852", false), ("963", false),
    ]

    static let steps: [Step] = tracks.flatMap { track, wraps in
        let characters = Array(track)
        let positions = Dictionary(uniqueKeysWithValues: characters.enumerated().map { ($1, $0) })
        return [1, -1].map { Step(positions: positions, length: characters.count, wraps: wraps, direction: $0) }
    }
}
