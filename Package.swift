// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Lerar",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "lerar", targets: ["lerar"]),
        .library(name: "LerarCore", targets: ["LerarCore"]),
        .library(name: "LerarIO", targets: ["LerarIO"]),
        .library(name: "LerarCalibration", targets: ["LerarCalibration"]),
        .library(name: "LerarIntegration", targets: ["LerarIntegration"]),
        .library(name: "LerarRegistration", targets: ["LerarRegistration"]),
        .library(name: "LerarNormalization", targets: ["LerarNormalization"]),
        .library(name: "LerarPipeline", targets: ["LerarPipeline"]),
        .library(name: "LerarDebayer", targets: ["LerarDebayer"]),
        .library(name: "LerarPostProcessing", targets: ["LerarPostProcessing"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    ],
    targets: [
        .systemLibrary(name: "CFITSIO", pkgConfig: "cfitsio", providers: [.apt(["libcfitsio-dev"]), .brew(["cfitsio"])]),
        .systemLibrary(name: "CZstd", pkgConfig: "libzstd", providers: [.apt(["libzstd-dev"]), .brew(["zstd"])]),
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"]), .brew(["lz4"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib", providers: [.apt(["zlib1g-dev"])]),
        // libraw_r.pc lists -fopenmp, which SwiftPM refuses; the shared library brings its own dependencies.
        .systemLibrary(name: "CLibRaw", providers: [.apt(["libraw-dev"])]),
        // FFTW3 single precision (and its threads) for the deconvolution's convolutions.
        .systemLibrary(name: "CFFTW3", pkgConfig: "fftw3f", providers: [.apt(["libfftw3-dev"]), .brew(["fftw"])]),
        // libtiff for the finish's 16-bit TIFF.
        .systemLibrary(name: "CTIFF", pkgConfig: "libtiff-4", providers: [.apt(["libtiff-dev"]), .brew(["libtiff"])]),
        .target(name: "LerarCore"),
        // C for the loops that need the CPU's wide vectors, with a run-time AVX2 check (see its header).
        .target(name: "CLerarKernels"),
        .target(name: "LerarIO", dependencies: ["LerarCore", "CFITSIO", "CZstd", "CLZ4", "CZlib", "CLibRaw", "CTIFF"]),
        .target(name: "LerarRegistration", dependencies: ["LerarCore", "LerarIO", "CLerarKernels"]),
        .target(name: "LerarSimulator", dependencies: ["LerarCore", "LerarIO", "LerarRegistration"]),
        .target(name: "LerarIntegration", dependencies: ["LerarCore", "LerarIO", "CLerarKernels"]),
        .target(name: "LerarDebayer", dependencies: ["LerarCore"]),
        .target(name: "LerarCalibration", dependencies: ["LerarCore", "LerarIO", "LerarIntegration"]),
        .target(name: "LerarNormalization", dependencies: ["LerarCore", "LerarIO", "LerarRegistration", "LerarIntegration"]),
        .target(name: "LerarPostProcessing", dependencies: ["LerarCore", "LerarRegistration", "LerarNormalization", "CFFTW3"]),
        .target(name: "LerarPipeline", dependencies: ["LerarCore", "LerarIO", "LerarCalibration", "LerarIntegration", "LerarRegistration", "LerarNormalization", "LerarDebayer", "LerarPostProcessing", .product(name: "Yams", package: "Yams")]),
        .executableTarget(
            name: "lerar",
            dependencies: ["LerarCore", "LerarIO", "LerarCalibration", "LerarIntegration", "LerarRegistration", "LerarNormalization", "LerarPipeline", "LerarSimulator", "LerarDebayer", "LerarPostProcessing", .product(name: "ArgumentParser", package: "swift-argument-parser")]
        ),
        .executableTarget(name: "lerar-fuzz", dependencies: ["LerarIO"], path: "Fuzz/lerar-fuzz"),
        .executableTarget(name: "lerar-bench", dependencies: ["LerarCore", "LerarIO", "LerarCalibration", "LerarIntegration", "LerarRegistration", "LerarNormalization", "LerarSimulator", "LerarDebayer"], path: "Benchmarks/lerar-bench"),
        .testTarget(name: "LerarCoreTests", dependencies: ["LerarCore"]),
        .testTarget(name: "LerarIOTests", dependencies: ["LerarCore", "LerarIO", "LerarSimulator", "LerarTestSupport"]),
        .testTarget(name: "LerarSimulatorTests", dependencies: ["LerarCore", "LerarIO", "LerarSimulator"]),
        .testTarget(name: "LerarRegistrationTests", dependencies: ["LerarCore", "LerarIO", "LerarRegistration", "LerarSimulator"]),
        .testTarget(name: "LerarIntegrationTests", dependencies: ["LerarCore", "LerarIO", "LerarIntegration", "LerarRegistration", "LerarSimulator"]),
        .target(name: "LerarTestSupport", path: "Tests/LerarTestSupport"),
        .testTarget(name: "LerarCalibrationTests", dependencies: ["LerarCore", "LerarIO", "LerarCalibration", "LerarIntegration", "LerarSimulator", "LerarTestSupport"]),
        .testTarget(name: "LerarNormalizationTests", dependencies: ["LerarCore", "LerarIO", "LerarRegistration", "LerarIntegration", "LerarNormalization", "LerarSimulator"]),
        .testTarget(name: "LerarPipelineTests", dependencies: ["LerarCore", "LerarIO", "LerarCalibration", "LerarIntegration", "LerarNormalization", "LerarRegistration", "LerarPipeline", "LerarSimulator", "LerarTestSupport"]),
        .testTarget(name: "LerarDebayerTests", dependencies: ["LerarCore", "LerarIO", "LerarDebayer"]),
        .testTarget(name: "LerarPostProcessingTests", dependencies: ["LerarCore", "LerarPostProcessing", "LerarRegistration"]),
        .testTarget(name: "LerarCLITests", dependencies: ["lerar", "LerarCore", "LerarIO", "LerarSimulator"]),
    ],
    swiftLanguageModes: [.v6]
)
