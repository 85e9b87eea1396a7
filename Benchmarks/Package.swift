// swift-tools-version:6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between clones.
let portcullis = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// A separate package so users of Portcullis never build the benchmark tool.
// Run with: cd Benchmarks && swift package --allow-writing-to-package-directory benchmark
let package = Package(
    name: "PortcullisBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../"),
        .package(url: "https://github.com/ordo-one/benchmark.git", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "PortcullisBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "PortcullisCore", package: portcullis),
                .product(name: "PortcullisTokens", package: portcullis),
                .product(name: "PortcullisSQLite", package: portcullis),
                .product(name: "PortcullisPostgres", package: portcullis),
            ],
            path: "Benchmarks/PortcullisBenchmarks",
            plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
        )
    ]
)
