/// Remembers, approximately, which keys were seen lately: the admission filter of a full cache
/// (the "doorkeeper" of TinyLFU, as in Caffeine).
///
/// A full cache that took every miss would, with many more active users than it holds, evict an
/// entry for each new one and gain almost nothing: each user comes back long after their entry
/// was pushed out. Admitting a key only on its second miss within a window keeps the entries of
/// users who do come back, and spares one-time visitors the cost of an insert and an eviction.
///
/// A bit set with two positions per key (8 bits per key of the window, and at least 4,096: under
/// 5% of new keys pass as seen), cleared when `window` keys have been recorded, before the next
/// one, so it forgets old sightings and a key is remembered for at least `window` keys after it.
struct Doorkeeper {
    private var words: [UInt64]
    private var recorded = 0
    private let window: Int

    /// A doorkeeper remembering about the last `window` keys.
    init(window: Int) {
        self.window = max(1, window)
        self.words = Array(repeating: 0, count: max(64, self.window * 8 / 64))
    }

    /// Whether the key with this hash was seen within the window; if not, records it.
    mutating func admit(_ hash: Int) -> Bool {
        let bits = UInt64(words.count * 64)
        let value = UInt64(bitPattern: Int64(hash))
        let first = Int((value & 0xFFFF_FFFF) % bits)
        let second = Int((value >> 32) % bits)
        if isSet(first) && isSet(second) { return true }
        if recorded >= window {
            for index in words.indices { words[index] = 0 }
            recorded = 0
        }
        set(first)
        set(second)
        recorded += 1
        return false
    }

    private func isSet(_ bit: Int) -> Bool { words[bit >> 6] & (1 << UInt64(bit & 63)) != 0 }

    private mutating func set(_ bit: Int) { words[bit >> 6] |= 1 << UInt64(bit & 63) }
}
