import Foundation
import LerarCore
import Testing
@testable import LerarIO

@Suite struct AtomicWriteTests {
    @Test(arguments: ["out.fits", "out.xisf"])
    func existingOutputIsKeptUnlessOverwriteIsGiven(name: String) throws {
        let folder = TemporaryFolder()
        let path = folder.file(name)
        writeBytes(Array("precious".utf8), to: path)
        #expect(throws: ImageIOError.outputExists(path: path)) { try ImageFile.write(sampleImage(), to: path) }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == Data("precious".utf8))
        try ImageFile.write(sampleImage(), to: path, options: ImageWriteOptions(overwrite: true))
        #expect(try ImageFile.read(path).width == 37)
        #expect(folder.contents == [name], "temporary files left behind: \(folder.contents)")
    }

    @Test func failedWritesLeaveNothingBehind() throws {
        let folder = TemporaryFolder()
        #expect(throws: ImageIOError.self) {
            try ImageFile.write(sampleImage(), to: folder.file("a.xisf"), options: ImageWriteOptions(compression: "brotli"))
        }
        #expect(throws: ImageIOError.self) {
            try ImageFile.write(sampleImage(), to: folder.file("a.fits"), options: ImageWriteOptions(compression: "jpeg"))
        }
        #expect(throws: ImageIOError.self) { try ImageFile.write(sampleImage(), to: folder.file("missing/a.fits")) }
        #expect(folder.contents.isEmpty, "left behind: \(folder.contents)")
    }


    @Test func readingNeverModifiesTheInput() throws {
        let folder = TemporaryFolder()
        for name in ["in.fits", "in.xisf", "in.fz"] {
            let path = folder.file(name)
            try ImageFile.write(sampleImage(), to: path, options: ImageWriteOptions(sampleFormat: .uint16))
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            let attributes = try FileManager.default.attributesOfItem(atPath: path)
            _ = try ImageFile.read(path)
            _ = try ImageFile.readHeader(path)
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.modificationDate] as? Date == attributes[.modificationDate] as? Date)
        }
    }
}
