import MessagingCore
import PostgresNIO

/// Maps PostgreSQL and PostgresNIO failures to `MessagingCore.MessagingError`.
///
/// Messages carry the SQLSTATE and the server's one-line message, never its detail field
/// or the statement's arguments (the detail of a unique violation shows the key, which can
/// be a token hash).
enum PostgresErrors {
    /// SQLSTATEs after which re-running the whole transaction can succeed: a unique key
    /// another transaction committed meanwhile, a serialization failure, a deadlock.
    static let retryableStates: Set<String> = ["23505", "40001", "40P01"]

    static func sqlState(of error: any Error) -> String? {
        (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    static func map(_ error: any Error, _ what: String) -> any Error {
        if error is MessagingError { return error }
        guard let psql = error as? PSQLError else {
            return MessagingError(code: .storage, message: "PostgreSQL failed while \(what): \(type(of: error)).")
        }
        if let info = psql.serverInfo {
            let state = info[.sqlState] ?? "?"
            let message = info[.message] ?? "no message"
            switch state {
            case "23505":
                return MessagingError(code: .conflict, message: "A row with the same key already exists (\(what); SQLSTATE 23505: \(message)).")
            case "23503":
                return MessagingError(code: .conflict, message: "A row refers to one that does not exist (\(what); SQLSTATE 23503: \(message)).")
            case "40001", "40P01":
                return MessagingError(code: .conflict, message: "PostgreSQL aborted a transaction that raced another one (\(what); SQLSTATE \(state)); retry the request.")
            case "3D000":
                return MessagingError(code: .storage, message: "The PostgreSQL database does not exist (SQLSTATE 3D000: \(message)); create it or fix the database name in the URL.")
            case "28P01", "28000":
                return MessagingError(code: .storage, message: "PostgreSQL refused the login (SQLSTATE \(state)); check the user name and password in the URL.")
            default:
                return MessagingError(code: .storage, message: "PostgreSQL failed while \(what) (SQLSTATE \(state): \(message)).")
            }
        }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed:
            return MessagingError(
                code: .storage,
                message: "The connection to PostgreSQL failed while \(what) (\(psql.code)); check that the server runs and that the URL's host and port are right.")
        default:
            return MessagingError(code: .storage, message: "PostgreSQL failed while \(what) (\(psql.code)).")
        }
    }
}
