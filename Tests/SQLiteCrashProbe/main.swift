// A child process for the crash-safety test: it sends messages in a loop through the real
// use cases and the SQLite store, and appends "<client message id> <seq>" to an
// acknowledgement file after each send returns, until it is killed.
//
// Usage: SQLiteCrashProbe <database> <acks file> <conversation id> <sender id> <run label>
import Foundation
import MessagingCore
import MessagingPersistence

let arguments = CommandLine.arguments
guard arguments.count == 6,
      let conversationID = ConversationID(arguments[3]),
      let senderID = UserID(arguments[4])
else {
    FileHandle.standardError.write(Data("usage: SQLiteCrashProbe <database> <acks> <conversation id> <sender id> <run label>\n".utf8))
    exit(64)
}
do {
    let store = try SQLiteMessagingStore(path: arguments[1])
    let messaging = Messaging(store: store)
    guard FileManager.default.fileExists(atPath: arguments[2]) || FileManager.default.createFile(atPath: arguments[2], contents: nil),
          let acks = FileHandle(forWritingAtPath: arguments[2])
    else {
        FileHandle.standardError.write(Data("cannot open the acknowledgement file\n".utf8))
        exit(66)
    }
    try acks.seekToEnd()
    var index = 0
    while true {
        let key = try ClientMessageID("\(arguments[5])-\(index)")
        let draft = try MessageDraft(text: "crash probe message \(key)", clientMessageID: key)
        let receipt = try await messaging.messages.send(draft, to: conversationID, by: senderID)
        // Written only after the send returned: every line is a send the caller saw succeed.
        acks.write(Data("\(key) \(receipt.message.seq)\n".utf8))
        index += 1
    }
} catch {
    FileHandle.standardError.write(Data("SQLiteCrashProbe failed: \(error)\n".utf8))
    exit(1)
}
