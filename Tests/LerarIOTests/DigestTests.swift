import Testing
@testable import LerarIO

/// Published test vectors (FIPS 180-4 / FIPS 202 examples).
@Suite struct DigestTests {
    func hex(_ algorithm: DigestAlgorithm, _ text: String) -> String {
        Array(text.utf8).withUnsafeBytes { algorithm.hexDigest($0) }
    }

    @Test func knownVectors() {
        #expect(hex(.sha1, "abc") == "a9993e364706816aba3e25717850c26c9cd0d89d")
        #expect(hex(.sha1, "") == "da39a3ee5e6b4b0d3255bfef95601890afd80709")
        #expect(hex(.sha256, "abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(hex(.sha256, "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(hex(.sha512, "abc") == "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f")
        #expect(hex(.sha3_256, "abc") == "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532")
        #expect(hex(.sha3_512, "") == "a69f73cca23a9ac5c8b567dc185a756e97c982164fe25859e0d1dcc1475c80a615b2123af1f5f94c11e3e9402c3ac558f500199d95b6d3e301758586281dcd26")
        // Lengths across the padding boundary (55, 56, 64, 111, 112 bytes) against long-message vector lengths.
        let million = String(repeating: "a", count: 1_000_000)
        #expect(hex(.sha1, million) == "34aa973cd4c4daa4f61eeb2bdbad27316534016f")
        #expect(hex(.sha256, million) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func xisfNamesAreAccepted() {
        #expect(DigestAlgorithm(xisfName: "SHA1") == .sha1)
        #expect(DigestAlgorithm(xisfName: "sha-256") == .sha256)
        #expect(DigestAlgorithm(xisfName: "sha512") == .sha512)
        #expect(DigestAlgorithm(xisfName: "sha3-512") == .sha3_512)
        #expect(DigestAlgorithm(xisfName: "md5") == nil)
    }

    /// XXH64 against the reference implementation's values (python-xxhash), whole and streamed, and over files.
    @Test func contentHashMatchesXXH64() throws {
        func hex(_ bytes: [UInt8], seed: UInt64 = 0) -> String { bytes.withUnsafeBytes { ContentHash.hex($0, seed: seed) } }
        #expect(hex([]) == "ef46db3751d8e999")
        #expect(hex(Array("abc".utf8)) == "44bc2cf5ad770999")
        #expect(hex(Array("Lerar".utf8), seed: 7) == "313766e91fc3937f")
        let long = (0..<5).flatMap { _ in (0..<256).map { UInt8($0) } }
        #expect(hex(long) == "afc184ad7938a354")
        var streamed = ContentHash()
        for piece in stride(from: 0, to: long.count, by: 37) {
            long[piece..<min(long.count, piece + 37)].withUnsafeBytes { streamed.update($0) }
        }
        #expect(String(format: "%016llx", streamed.finish()) == "afc184ad7938a354")
    }

    /// The cache's content hash: XXH64 of each 4 MiB block, then XXH64 of the digests seeded with the length; the
    /// same from a file (blocks read in parallel) and from the bytes in parts split anywhere (as a writer has them).
    @Test func blockContentHashIsTheSameFromFileAndFromParts() throws {
        func hex(_ bytes: ArraySlice<UInt8>, seed: UInt64 = 0) -> UInt64 {
            var hasher = ContentHash(seed: seed)
            bytes.withUnsafeBytes { hasher.update($0) }
            return hasher.finish()
        }
        let folder = TemporaryFolder()
        let block = ContentHash.blockBytes
        for size in [0, 5, block + 3] {   // within a block, and across one (each 4 MiB is slow to hash in a debug build)
            let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 13) }
            let digests = stride(from: 0, to: size, by: block).map { hex(bytes[$0..<min(size, $0 + block)]) }
            var combined = ContentHash(seed: UInt64(size))
            digests.map(\.littleEndian).withUnsafeBytes { combined.update($0) }
            let expected = "b:" + String(format: "%016llx", combined.finish())
            writeBytes(bytes, to: folder.file("f\(size)"))
            #expect(ContentHash.ofFile(folder.file("f\(size)")) == expected, "file of \(size) bytes")
            for cut in Set([0, min(size, 4096), size / 2, size]) {
                let fromParts = bytes[0..<cut].withUnsafeBytes { head in bytes[cut...].withUnsafeBytes { tail in ContentHash.ofParts([head, tail]) } }
                #expect(fromParts == expected, "\(size) bytes cut at \(cut)")
            }
        }
        #expect(ContentHash.ofFile(folder.file("missing")) == nil)
        // A different byte anywhere changes it.
        var bytes = [UInt8](repeating: 7, count: block + 5)
        let before = bytes.withUnsafeBytes { ContentHash.ofParts([$0]) }
        bytes[block + 2] = 8
        #expect(bytes.withUnsafeBytes { ContentHash.ofParts([$0]) } != before)
    }
}
