import ArgumentParser
import Foundation
import Logging
import MessagingCore
import MessagingDelivery
import MessagingPersistence

/// Runs the durable job queues of swift-messaging against the server's SQLite file (a
/// separate process; WAL lets both use it at once), and inspects the dead-letter queue.
///
/// Exit codes: 0 success, 1 a failure while running (store or job errors), 2 something
/// asked for does not exist or conflicts (unknown dead job, second replay), 64 bad usage.
@main
struct DeliveryWorker: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "DeliveryWorker",
        abstract: "Runs notification and delivery jobs; inspects and replays the dead-letter queue.",
        discussion: """
            Every option can also come from the environment: MESSAGING_DATABASE, MESSAGING_POSTGRES_URL, \
            MESSAGING_WEBHOOK_URL, MESSAGING_WEBHOOK_SECRET, MESSAGING_LOG_LEVEL.
            """,
        subcommands: [Run.self, DLQ.self])
}

/// Options every subcommand shares.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The SQLite database file (env MESSAGING_DATABASE).")
    var database: String?

    @Option(name: .long, help: "A PostgreSQL database instead of SQLite, postgres://USER:PASSWORD@HOST:PORT/DATABASE?sslmode=MODE (env MESSAGING_POSTGRES_URL); several workers may drain its queue.")
    var postgres: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical (env MESSAGING_LOG_LEVEL). Default info.")
    var logLevel: String?

    func databasePath() throws -> String {
        guard let path = database ?? Environment.value("MESSAGING_DATABASE"), !path.isEmpty else {
            throw ValidationError("Give the database with --database PATH or MESSAGING_DATABASE.")
        }
        return path
    }

    func makeLogger(label: String) throws -> Logger {
        let name = logLevel ?? Environment.value("MESSAGING_LOG_LEVEL") ?? "info"
        guard let level = Logger.Level(rawValue: name.lowercased()) else {
            throw ValidationError("Unknown log level '\(name)'; use trace, debug, info, notice, warning, error or critical.")
        }
        var logger = Logger(label: label) { StructuredLogHandler(label: $0) }
        logger.logLevel = level
        return logger
    }

    func openStore(logger: Logger) throws -> SQLiteMessagingStore {
        let path = try databasePath()
        return try SQLiteMessagingStore(path: path, logger: logger)
    }
}

enum Environment {
    static func value(_ name: String) -> String? {
        ProcessInfo.processInfo.environment[name].flatMap { $0.isEmpty ? nil : $0 }
    }
}

/// Exit code 2: what was asked for does not exist or conflicts.
struct NotFoundOrConflict: Error, CustomStringConvertible {
    let description: String
}

extension AsyncParsableCommand {
    /// Runs `body`, printing a one-line error and mapping it to an exit code.
    static func reportingErrors(_ body: () async throws -> Void) async throws {
        do {
            try await body()
        } catch let error as MessagingError where error.code == .notFound || error.code == .conflict {
            FileHandle.standardError.write(Data("error: \(error.message)\n".utf8))
            throw ExitCode(2)
        } catch let error as MessagingError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            throw ExitCode(1)
        }
    }
}
