// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "portcullis",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "PortcullisTokens", targets: ["PortcullisTokens"]),
        .library(name: "PortcullisCore", targets: ["PortcullisCore"]),
        .library(name: "PortcullisSQLite", targets: ["PortcullisSQLite"]),
        .library(name: "PortcullisPostgres", targets: ["PortcullisPostgres"]),
        .library(name: "PortcullisHTTP", targets: ["PortcullisHTTP"]),
        .library(name: "PortcullisVerifier", targets: ["PortcullisVerifier"]),
        .library(name: "PortcullisHummingbird", targets: ["PortcullisHummingbird"]),
        .library(name: "PortcullisTesting", targets: ["PortcullisTesting"]),
        .library(name: "PortcullisSMTP", targets: ["PortcullisSMTP"]),
        .executable(name: "portcullis", targets: ["portcullis"]),
        .executable(name: "portcullis-fuzz", targets: ["PortcullisFuzz"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.5.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
        // Tests only: HummingbirdOTP computes authenticator codes independently of ours.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        // `swift package generate-documentation`: the DocC catalogues, built by Scripts/test.
        .package(url: "https://github.com/swiftlang/swift-docc-plugin.git", from: "1.5.0"),
    ],
    targets: [
        // Access tokens without a server: claims, signing keys, and verification by the rules of
        // docs/security.md#access-token-verification. Shared by the server and the verifier library.
        .target(
            name: "PortcullisTokens",
            dependencies: [
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // Domain: accounts, credentials, sessions, policies and the storage protocols. No HTTP, no driver.
        .target(
            name: "PortcullisCore",
            dependencies: [
                "PortcullisTokens",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            // Breached passwords of 12+ characters, built by Scripts/generate-common-passwords.py.
            resources: [.copy("Passwords/Resources/common-passwords.txt")],
            swiftSettings: swiftSettings
        ),
        // The embedded store: one SQLite file in WAL mode.
        .target(
            name: "PortcullisSQLite",
            dependencies: [
                "PortcullisCore",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The scale-out store: PostgreSQL through a pooled PostgresClient, shared by many instances.
        .target(
            name: "PortcullisPostgres",
            dependencies: [
                "PortcullisCore",
                "PortcullisTokens",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Hands mail to a mail server: SMTP with STARTTLS or implicit TLS, AUTH, MIME. No Portcullis types.
        .target(
            name: "PortcullisSMTP",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The Hummingbird application: routes, middleware, operations endpoints and the pages.
        .target(
            name: "PortcullisHTTP",
            dependencies: [
                "PortcullisCore",
                "PortcullisTokens",
                "PortcullisSMTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The pages' stylesheet, served at /assets/portcullis.css.
            resources: [.copy("Pages/Resources/portcullis.css"), .copy("Pages/Resources/passkeys.js")],
            swiftSettings: swiftSettings
        ),
        // For other services: verifies Portcullis tokens offline (JWKS, revocation feed, verified-token
        // cache). No Hummingbird, no database.
        .target(
            name: "PortcullisVerifier",
            dependencies: [
                "PortcullisTokens",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // Puts the verifier in front of any Hummingbird 2 application.
        .target(
            name: "PortcullisHummingbird",
            dependencies: [
                "PortcullisVerifier",
                "PortcullisTokens",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // `portcullis compare`: the sessions-vs-JWT experiments against throwaway servers, and the
        // report in text, Markdown, JSON and HTML.
        .target(
            name: "PortcullisCompare",
            dependencies: [
                "PortcullisCore", "PortcullisTokens", "PortcullisSQLite", "PortcullisPostgres", "PortcullisHTTP", "PortcullisVerifier",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // The executable: `serve`, `migrate`, `compare` and the admin commands.
        .executableTarget(
            name: "portcullis",
            dependencies: [
                "PortcullisCore",
                "PortcullisTokens",
                "PortcullisSQLite",
                "PortcullisPostgres",
                "PortcullisHTTP",
                "PortcullisCompare",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        // The parsers of untrusted bytes under libFuzzer (Scripts/fuzz), or replaying a corpus.
        .executableTarget(
            name: "PortcullisFuzz",
            dependencies: ["PortcullisCore", "PortcullisTokens", "PortcullisSMTP", "PortcullisVerifier", "PortcullisHTTP"],
            swiftSettings: swiftSettings
        ),
        // Helpers for tests of Portcullis and of applications built on it: the store conformance suite.
        .target(
            name: "PortcullisTesting",
            dependencies: [
                "PortcullisCore", "PortcullisTokens", "PortcullisHTTP",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisCompareTests",
            dependencies: ["PortcullisCompare"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisSMTPTests",
            dependencies: ["PortcullisSMTP", "PortcullisTesting", .product(name: "NIOSSL", package: "swift-nio-ssl")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisTokensTests",
            dependencies: ["PortcullisTokens", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisCoreTests",
            dependencies: [
                "PortcullisCore", "PortcullisTokens", "PortcullisTesting", .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdOTP", package: "hummingbird-auth"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisStoreTests",
            dependencies: [
                "PortcullisCore", "PortcullisSQLite", "PortcullisPostgres", "PortcullisTesting", "PortcullisTokens",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisHTTPTests",
            dependencies: [
                "PortcullisCore",
                "PortcullisTokens",
                "PortcullisHTTP",
                "PortcullisSQLite",
                "PortcullisTesting",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationEssentialsCompat", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            exclude: ["QRCode/make_vectors.py"],
            swiftSettings: swiftSettings
        ),
        // The verifier against a real Portcullis server on loopback.
        .testTarget(
            name: "PortcullisVerifierTests",
            dependencies: [
                "PortcullisVerifier", "PortcullisTesting", "PortcullisTokens", "PortcullisCore", "PortcullisHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "InMemoryLogging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "PortcullisHummingbirdTests",
            dependencies: [
                "PortcullisHummingbird", "PortcullisVerifier", "PortcullisTesting", "PortcullisCore", "PortcullisHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Drives the built `portcullis` executable over real HTTP: restarts, SIGKILL, admin commands.
        .testTarget(
            name: "PortcullisEndToEndTests",
            dependencies: [
                "PortcullisTesting",
                "PortcullisHTTP",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
    ]
)
