public import Crypto
import Foundation
import SystemPackage

/// The key that seals private signing keys at rest (docs/security.md#signing-keys): AES-256-GCM, with the
/// key id and algorithm as associated data so a sealed key cannot be swapped onto another row.
///
/// It lives in a file beside the configuration, never in the store it protects; created with
/// mode 0600 on first start. Every instance sharing a database needs the same file.
public struct KeyEncryptionKey: Sendable {
    private let key: SymmetricKey

    /// A key from 32 bytes.
    public init(bytes: [UInt8]) throws {
        guard bytes.count == 32 else { throw KeyFileError("a key-encryption key is 32 bytes") }
        self.key = SymmetricKey(data: bytes)
    }

    /// Reads the key file at `path`, creating it (mode 0600, 32 random bytes, base64) if absent.
    /// - Throws: ``KeyFileError`` naming the file when it is readable or writable by its group or
    ///   by others: a key that anyone on the machine can read protects nothing.
    public static func loadOrCreate(path: String) throws -> KeyEncryptionKey {
        // The file's own mode, not a symlink's (a mounted secret is often a link to the real file).
        let target = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
        if let mode = (try? FileManager.default.attributesOfItem(atPath: target))?[.posixPermissions] as? Int, mode & 0o077 != 0 {
            let mode = String(mode & 0o777, radix: 8)
            throw KeyFileError("the key file \(path) is accessible to its group or others (mode 0\(mode)): run chmod 600 \(path)")
        }
        if let existing = FileManager.default.contents(atPath: path) {
            let text = String(decoding: existing, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            guard let bytes = Data(base64Encoded: text) else { throw KeyFileError("the key file \(path) does not hold base64") }
            return try KeyEncryptionKey(bytes: Array(bytes))
        }
        let bytes = SecureRandom.bytes(32)
        // Created exclusively, 0600 from the first byte: never readable by others, never a file
        // another process created first.
        let descriptor: FileDescriptor
        do {
            descriptor = try FileDescriptor.open(
                FilePath(path),
                .writeOnly,
                options: [.create, .exclusiveCreate],
                permissions: [.ownerReadWrite]
            )
        } catch {
            throw KeyFileError("cannot create the key file \(path)")
        }
        let text = Array((Data(bytes).base64EncodedString() + "\n").utf8)
        do {
            try descriptor.closeAfter {
                guard try descriptor.writeAll(text) == text.count else { throw Errno.ioError }
                // Flushed before use: a key that sealed data must not be lost to a crash.
                try FileHandle(fileDescriptor: descriptor.rawValue, closeOnDealloc: false).synchronize()
            }
        } catch {
            throw KeyFileError("cannot write the key file \(path)")
        }
        return try KeyEncryptionKey(bytes: bytes)
    }

    /// Seals `plaintext`, bound to `context`.
    public func seal(_ plaintext: [UInt8], context: String) throws -> [UInt8] {
        guard let combined = try AES.GCM.seal(plaintext, using: key, authenticating: Array(context.utf8)).combined else {
            throw KeyFileError("sealing failed")
        }
        return Array(combined)
    }

    /// Opens what ``seal(_:context:)`` sealed with the same key and context.
    public func open(_ sealed: [UInt8], context: String) throws -> [UInt8] {
        Array(try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key, authenticating: Array(context.utf8)))
    }
}

/// The key file could not be read or written.
public struct KeyFileError: Error, CustomStringConvertible, Sendable {
    public let description: String
    init(_ description: String) { self.description = description }
}

extension KeyEncryptionKey {
    /// A key for another purpose, derived with HKDF-SHA256 so the file stays the only secret.
    public func derivedKey(purpose: String) -> SymmetricKey {
        HKDF<SHA256>.deriveKey(inputKeyMaterial: key, info: Array("portcullis.\(purpose).v1".utf8), outputByteCount: 32)
    }
}
