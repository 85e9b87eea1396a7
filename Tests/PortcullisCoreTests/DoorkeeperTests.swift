import Testing

@testable import PortcullisCore

/// The admission filter of a full cache: second sightings pass, first ones do not, and old
/// sightings are forgotten.
@Suite("Doorkeeper")
struct DoorkeeperTests {
    @Test func aKeyPassesOnItsSecondSighting() {
        var doorkeeper = Doorkeeper(window: 1_000)
        let sightings = ["ada", "ada", "ada", "grace"].map { doorkeeper.admit($0.hashValue) }
        #expect(sightings == [false, true, true, false])
    }

    @Test func fewNewKeysPassAsSeen() {
        var doorkeeper = Doorkeeper(window: 10_000)
        var passed = 0
        for index in 0..<9_999 where doorkeeper.admit("key \(index)".hashValue) { passed += 1 }
        // Two positions in 8 bits per key: about 5% when the window is full, less before.
        #expect(passed < 500, "\(passed) new keys passed as seen")
    }

    /// A hash whose two positions (low and high 32 bits, modulo the bit count) are the ones given.
    static func hash(_ first: Int, _ second: Int) -> Int { first | second << 32 }

    @Test func sightingsOlderThanTheWindowAreForgotten() {
        var doorkeeper = Doorkeeper(window: 1_000)  // 8,000 bits
        let first = doorkeeper.admit(Self.hash(1, 2))
        // 999 more keys, each with positions of its own, so none passes as seen: the window fills.
        for index in 0..<999 { _ = doorkeeper.admit(Self.hash(index + 10, index + 5_000)) }
        let withinTheWindow = doorkeeper.admit(Self.hash(1, 2))
        // One more new key clears the window before it is recorded.
        _ = doorkeeper.admit(Self.hash(3, 4))
        let afterTheWindow = doorkeeper.admit(Self.hash(1, 2))
        #expect(!first)
        #expect(withinTheWindow, "remembered for a whole window of keys after it")
        #expect(!afterTheWindow, "the window of 1,000 keys was cleared")
    }

    @Test func aKeyThatFillsTheWindowIsStillRemembered() {
        var doorkeeper = Doorkeeper(window: 2)
        let sightings = [Self.hash(1, 2), Self.hash(3, 4), Self.hash(5, 6), Self.hash(5, 6)].map { doorkeeper.admit($0) }
        // The third key clears the first two before it is recorded, so its second sighting passes.
        #expect(sightings == [false, false, false, true])
    }
}
