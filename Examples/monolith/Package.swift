// swift-tools-version:6.2
import Foundation
import PackageDescription

// SwiftPM names a path dependency after its folder, which differs between clones.
let portcullis = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().lastPathComponent.lowercased()

// A monolith that embeds Portcullis: its routes, session cookie and CSRF rules live inside the
// application, on the application's own SQLite file, and guard the application's own pages.
let package = Package(
    name: "monolith",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(path: "../.."),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .executableTarget(
            name: "monolith",
            dependencies: [
                .product(name: "PortcullisCore", package: portcullis),
                .product(name: "PortcullisHTTP", package: portcullis),
                .product(name: "PortcullisSQLite", package: portcullis),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        )
    ]
)
