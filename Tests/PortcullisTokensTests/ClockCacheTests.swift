import PortcullisTokens
import Testing

/// The CLOCK cache behind the session, bearer and verifier caches.
@Suite("CLOCK cache")
struct ClockCacheTests {
    @Test func holdsAtMostItsCapacityAndReplacesValuesInPlace() {
        var cache = ClockCache<Int, String>(capacity: 4)
        for key in 0..<100 { cache.insert("v\(key)", for: key) }
        #expect(cache.count == 4)
        cache.insert("again", for: 99)
        #expect(cache.count == 4)
        #expect(cache.value(for: 99) == "again")
    }

    @Test func anEntryUsedSinceTheHandLastPassedGetsASecondChance() {
        var cache = ClockCache<String, Int>(capacity: 3)
        cache.insert(0, for: "a")
        cache.insert(1, for: "b")
        cache.insert(2, for: "c")
        #expect(cache.value(for: "a") == 0)
        let evicted = cache.insert(3, for: "d")
        #expect(evicted?.key == "b", "a was used, so the hand passed it by")
        #expect(cache.value(for: "a") == 0)
        #expect(cache.value(for: "b") == nil)
        // Everything used: the hand clears every mark and takes the first slot it comes back to.
        _ = cache.value(for: "c")
        _ = cache.value(for: "d")
        #expect(cache.insert(4, for: "e") != nil)
        #expect(cache.count == 3)
    }

    @Test func removalFreesASlotTheNextInsertReuses() {
        var cache = ClockCache<Int, Int>(capacity: 2)
        cache.insert(1, for: 1)
        cache.insert(2, for: 2)
        #expect(cache.remove(1) == 1)
        #expect(cache.remove(1) == nil)
        #expect(cache.count == 1)
        #expect(cache.insert(3, for: 3) == nil, "the freed slot was taken, nothing evicted")
        #expect(cache.value(for: 2) == 2)
        #expect(cache.value(for: 3) == 3)
    }

    @Test func aLongRandomMixKeepsTheMapAndTheRingInStep() {
        var cache = ClockCache<Int, Int>(capacity: 64)
        var model: [Int: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<6_000 {
            let key = Int.random(in: 0..<200, using: &generator)
            switch step % 3 {
            case 0:
                if let evicted = cache.insert(step, for: key) { model[evicted.key] = nil }
                model[key] = step
            case 1:
                #expect(cache.value(for: key) == model[key])
            default:
                #expect(cache.remove(key) == model.removeValue(forKey: key))
            }
            #expect(cache.count == model.count)
            #expect(cache.count <= 64)
        }
    }
}
