/// A bounded map that evicts by the CLOCK policy (second chance): every operation costs O(1)
/// amortized, however full it is.
///
/// Entries sit in a ring of `capacity` slots. A lookup marks its entry as used; when a new key
/// needs a slot and none is free, a hand sweeps the ring, clearing marks, and takes the first slot
/// whose entry was not used since the hand last passed. Entries in use stay, as with LRU, without
/// moving anything on a hit. Not thread-safe: callers hold it behind a lock.
///
/// Inlinable, so the modules that use it (the server's caches, the verifier's) get code
/// specialized for their keys and values: through generic witnesses, a lookup cost microseconds
/// and a dozen allocations instead of a few hundred nanoseconds.
package struct ClockCache<Key: Hashable, Value> {
    @usableFromInline
    struct Slot {
        @usableFromInline var key: Key
        @usableFromInline var value: Value
        @usableFromInline var used: Bool

        @inlinable
        init(key: Key, value: Value, used: Bool) {
            self.key = key
            self.value = value
            self.used = used
        }
    }

    @usableFromInline var slots: [Slot?]
    @usableFromInline var index: [Key: Int] = [:]
    @usableFromInline var hand = 0

    /// The most entries held.
    package let capacity: Int

    /// An empty cache of `capacity` entries (at least one).
    @inlinable
    package init(capacity: Int) {
        self.capacity = max(1, capacity)
        self.slots = []
        slots.reserveCapacity(self.capacity)
    }

    /// How many entries are held.
    @inlinable
    package var count: Int { index.count }

    /// The value for `key`, marking it as used.
    @inlinable
    package mutating func value(for key: Key) -> Value? {
        guard let slot = index[key] else { return nil }
        slots[slot]?.used = true
        return slots[slot]?.value
    }

    /// Stores `value` under `key` (replacing any value it had). - Returns: the entry evicted to
    /// make room, if one was.
    @inlinable @discardableResult
    package mutating func insert(_ value: Value, for key: Key) -> (key: Key, value: Value)? {
        if let slot = index[key] {
            slots[slot]!.value = value
            return nil
        }
        if slots.count < capacity {
            index[key] = slots.count
            slots.append(Slot(key: key, value: value, used: false))
            return nil
        }
        // Each mark cleared here was set by a lookup, so the sweep is paid for in advance.
        var evicted: (key: Key, value: Value)?
        while true {
            defer { hand = (hand + 1) % capacity }
            guard let slot = slots[hand] else { break }
            if slot.used {
                slots[hand]!.used = false
                continue
            }
            index[slot.key] = nil
            evicted = (slot.key, slot.value)
            break
        }
        let taken = (hand + capacity - 1) % capacity
        slots[taken] = Slot(key: key, value: value, used: false)
        index[key] = taken
        return evicted
    }

    /// Removes `key`. - Returns: its value, if it had one.
    @inlinable @discardableResult
    package mutating func remove(_ key: Key) -> Value? {
        guard let slot = index.removeValue(forKey: key) else { return nil }
        defer { slots[slot] = nil }
        return slots[slot]!.value
    }
}
