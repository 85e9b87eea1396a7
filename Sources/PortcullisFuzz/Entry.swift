import Foundation

#if FUZZING
/// libFuzzer's entry point: built with `-sanitize=fuzzer -D FUZZING` (Scripts/fuzz), libFuzzer
/// supplies `main`, mutates inputs guided by coverage, and calls this for each.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    ParserFuzzing.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
#else
/// Without libFuzzer: `portcullis-fuzz DIR…` runs every file of the given corpus folders once,
/// which is how the saved corpus and past crashes stay regression tests.
@main
struct ReplayCorpus {
    static func main() throws {
        var count = 0
        for folder in CommandLine.arguments.dropFirst() {
            let names = try FileManager.default.contentsOfDirectory(atPath: folder).sorted()
            for name in names {
                ParserFuzzing.run(Array(try Data(contentsOf: URL(fileURLWithPath: folder).appendingPathComponent(name))))
                count += 1
            }
        }
        print("replayed \(count) inputs")
    }
}
#endif
