import Foundation
import LerarCore
@testable import LerarIO
import LerarSimulator
import Testing

/// Camera raw files through LibRaw, on DNGs written the way a camera writes them (no raw samples can be downloaded
/// here): the mosaic exactly as stored, the EXIF as keywords, and clear errors for files LibRaw cannot read.
@Suite struct CameraRawTests {
    static func folder() throws -> String {
        let path = NSTemporaryDirectory() + "lerar-raw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test(arguments: ["RGGB", "BGGR", "GRBG", "GBRG"])
    func aDNGIsReadAsItsStoredMosaicWithTheCamerasMetadata(pattern: String) throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let width = 40, height = 30
        let adu = (0..<(width * height)).map { Float(($0 * 7919) % 65536) }
        let camera = DNGWriter.Camera(exposure: 120, iso: 800, date: "2024-03-01T22:15:30", blackLevel: 2048, pattern: pattern)
        let path = folder + "/IMG_0001.dng"
        try DNGWriter.write(adu: adu, width: width, height: height, camera: camera, to: path, overwrite: false)

        let image = try ImageFile.read(path)
        #expect(image.width == width && image.height == height && image.channelCount == 1)
        #expect(image.samples == adu.map { $0 / 65535 }, "the mosaic as stored: no black subtraction, no scaling")
        let a = image.metadata.acquisition
        #expect(a.exposure == 120 && a.gain == 800 && a.bayerPattern == pattern && a.camera == "Simulated DSLR")
        #expect(a.dateObs == "2024-03-01T22:15:30" && a.localDate == "2024-03-01T22:15:30")
        #expect(a.offset == 2048, "the black level is recorded (BLKLEVEL)")
        #expect(a.temperature == nil, "a DNG without maker notes has no sensor temperature")
        #expect(image.metadata.keyword("ROWORDER")?.stringValue == "TOP-DOWN")
        let header = try ImageFile.readHeader(path)
        #expect(header.format == .cameraRaw && header.sampleFormat == .uint16 && header.metadata == image.metadata)
    }

    @Test func rawFilesLibRawCannotReadAreRefusedNamingTheFile() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let camera = DNGWriter.Camera(exposure: 1, iso: 100, date: "2024-03-01T22:15:30", blackLevel: 0, pattern: "RGGB")
        let good = folder + "/good.dng"
        try DNGWriter.write(adu: [Float](repeating: 1000, count: 64 * 64), width: 64, height: 64, camera: camera, to: good, overwrite: false)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: good))
        // Cut inside the pixel data, a text file named .cr2, an empty .nef, a header whose strip lies past the end.
        try bytes.prefix(bytes.count - 4000).write(to: URL(fileURLWithPath: folder + "/cut.dng"))
        try Data("not a raw file at all".utf8).write(to: URL(fileURLWithPath: folder + "/notes.cr2"))
        try Data().write(to: URL(fileURLWithPath: folder + "/empty.nef"))
        for name in ["cut.dng", "notes.cr2", "empty.nef"] {
            let path = folder + "/" + name
            do {
                _ = try ImageFile.read(path)
                Issue.record("\(name) was read")
            } catch let error as ImageIOError {
                let message = error.errorDescription ?? ""
                #expect(message.hasPrefix(path), "\(message)")
                print("\(name): \(message)")
            }
        }
        #expect(throws: ImageIOError.self) { try ImageFile.write(Image(width: 4, height: 4), to: folder + "/out.cr2") }
        #expect(try ImageFileFormat.from(path: "a/IMG_1.CR3") == .cameraRaw && (try? ImageFileFormat.from(path: "a/x.jpg")) == nil)
    }
}
