import PortcullisTokens
import Testing

@Suite("Base64")
struct Base64Tests {
    @Test func base64RoundTripsAndIsStrict() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(truncatingIfNeeded: $0 * 37 + 11) }
            #expect(Base64.decode(Base64.encode(bytes)) == bytes)
            #expect(Base64.decode(Base64.encode(bytes, alphabet: .standard), alphabet: .standard) == bytes)
        }
        #expect(Base64.encode(Array("hello?>".utf8)) == "aGVsbG8_Pg")
        #expect(Base64.encode(Array("hello?>".utf8), alphabet: .standard) == "aGVsbG8/Pg")
        #expect(Base64.decode("aGVsbG8/Pg") == nil)  // wrong alphabet
        #expect(Base64.decode("aGVsbG8_Pg==") == nil)  // padding
        #expect(Base64.decode("aGVs bG8") == nil)  // whitespace
        #expect(Base64.decode("a") == nil)  // impossible length
        #expect(Base64.decode("aGVsbG8") == Array("hello".utf8))
        #expect(Base64.decode("aGVsbG9") == nil)  // non-zero trailing bits: a second encoding of "hello"
    }
}
