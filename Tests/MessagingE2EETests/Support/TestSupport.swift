import Foundation
import TestSupport
import Testing
@testable import MessagingE2EE

/// Runs `body` and checks that it throws an `E2EEError` with `code`.
func expectE2EEError<R>(
    _ code: E2EEError.Code, _ comment: Comment? = nil,
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) {
    do {
        _ = try body()
        Issue.record("expected E2EEError.\(code) but the call succeeded \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
    } catch let error as E2EEError {
        #expect(error.code == code, "\(comment.map { "\($0): " } ?? "")got \(error)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("expected E2EEError.\(code) but got \(error)", sourceLocation: sourceLocation)
    }
}

/// Runs `body` and returns the `E2EEError` it throws, recording an issue if it does not throw one.
@discardableResult
func expectAnyE2EEError<R>(
    _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> R
) -> E2EEError? {
    do {
        _ = try body()
        Issue.record("expected an E2EEError but the call succeeded \(comment.map { "(\($0))" } ?? "")", sourceLocation: sourceLocation)
        return nil
    } catch let error as E2EEError {
        return error
    } catch {
        Issue.record("expected an E2EEError but got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

extension Array where Element == UInt8 {
    var hex: String { hexString }

    /// A copy with bit `bit` of byte `index` flipped.
    func flippingBit(_ bit: Int, at index: Int) -> [UInt8] {
        var copy = self
        copy[index] ^= UInt8(1 << bit)
        return copy
    }
}

/// Paths inside the package's source tree.
enum PackagePaths {
    /// The package root, found from this file's location (Tests/MessagingE2EETests/Support/).
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let fixtures = root.appendingPathComponent("Tests/MessagingE2EETests/Fixtures")
    static let vectors = fixtures.appendingPathComponent("vectors.json")
    static let interopScript = root.appendingPathComponent("Tests/Interop/interop.py")
}

/// Fixture files bundled with the test target (`resources: [.copy("Fixtures")]`).
enum Fixtures {
    static func data(_ relativePath: String) throws -> Data {
        let url = try #require(
            Bundle.module.resourceURL?.appendingPathComponent("Fixtures/\(relativePath)"),
            "test bundle has no resources")
        return try Data(contentsOf: url)
    }
}

/// Small factory for devices used across suites.
struct TestDevice {
    let identity: DeviceIdentity
    var bundle: DeviceBundle { identity.makeBundle() }

    static func make(user: UUID = UUID()) throws -> TestDevice {
        TestDevice(identity: try DeviceIdentity.generate(deviceID: UUID(), userID: user))
    }
}
