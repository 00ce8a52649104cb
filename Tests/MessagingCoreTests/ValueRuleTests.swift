import Foundation
import Testing
@testable import MessagingCore

@Suite("Domain values enforce their invariants when made")
struct ValueRuleTests {
    @Test("handles are normalized to lowercase and checked")
    func handles() throws {
        #expect(try Handle("  Alice.Smith ").rawValue == "alice.smith")
        for bad in ["ab", String(repeating: "a", count: 33), "_alice", "al ice", "alice!", "ålice", "", String(repeating: "x", count: 10_000),
                    "\u{212A}elvin"] {
            #expect(throws: MessagingError.self, "\(bad.prefix(20))") { try Handle(bad) }
        }
    }

    @Test("display names are one line without control characters")
    func displayNames() throws {
        let id = UserID(UUIDv7Generator().next())
        let handle = try Handle("alice")
        #expect(try User(id: id, handle: handle, displayName: "  Alice  ", createdAt: .init(millisecondsSince1970: 0)).displayName == "Alice")
        for bad in ["", "   ", "a\u{0}b", "line\nbreak", String(repeating: "x", count: 65)] {
            #expect(throws: MessagingError.self) {
                try User(id: id, handle: handle, displayName: bad, createdAt: .init(millisecondsSince1970: 0))
            }
        }
    }

    @Test("message bodies: UTF-8 size limit, newline and tab only")
    func bodies() throws {
        let key = try ClientMessageID("k")
        _ = try MessageDraft(text: "line one\n\tline two", clientMessageID: key)
        _ = try MessageDraft(text: String(repeating: "a", count: 16 * 1024), clientMessageID: key)
        let tooBig = String(repeating: "é", count: 8 * 1024 + 1)  // 2 bytes each: one byte over
        #expect(throws: MessagingError.self) { try MessageDraft(text: tooBig, clientMessageID: key) }
        do {
            _ = try MessageDraft(text: tooBig, clientMessageID: key)
        } catch {
            #expect(error.code == .invalidInput, "a size rule of one value (Protocol.md §7)")
            #expect(error.message.contains("16384"))
        }
        for bad in ["", " \n ", "bell\u{7}", "cr\r\n", "nul\u{0}", "esc\u{1B}[31m", "c1\u{85}"] {
            #expect(throws: MessagingError.self, "\(bad.debugDescription)") { try MessageDraft(text: bad, clientMessageID: key) }
        }
        var limits = MessagingLimits()
        limits.maxBodyBytes = 10
        #expect(throws: MessagingError.self) { try MessageDraft(text: "eleven char", clientMessageID: key, limits: limits) }
    }

    @Test("conversation cursors: 1–18 digits, a dot, a UUIDv7 (the OpenAPI pattern)")
    func conversationCursors() throws {
        let id = "0193a6c0-5b1e-7c41-9a55-3f1e2d4c5b6a"
        #expect(ConversationCursor("1767225600000.\(id)")?.description == "1767225600000.\(id)")
        #expect(ConversationCursor("999999999999999999.\(id)") != nil)
        for bad in ["-5.\(id)", "+5.\(id)", " 5.\(id)", "1234567890123456789.\(id)", ".\(id)", "5", "5.\(id).x",
                    "5.0193a6c0-5b1e-4c41-9a55-3f1e2d4c5b6a"] {
            #expect(ConversationCursor(bad) == nil, "\(bad)")
        }
    }

    @Test("client message ids are 1–64 printable ASCII characters")
    func clientMessageIDs() throws {
        _ = try ClientMessageID(String(repeating: "a", count: 64))
        for bad in ["", String(repeating: "a", count: 65), "has space", "tab\t", "ünï"] {
            #expect(throws: MessagingError.self) { try ClientMessageID(bad) }
        }
    }

    @Test("an emoji is one grapheme cluster of at most 32 bytes", arguments: ["👍", "❤️", "👩‍👩‍👧‍👦", "🇫🇷", "a"])
    func validEmoji(_ text: String) throws {
        #expect(try Emoji(text).rawValue == text)
    }

    @Test("bad emoji are rejected with invalidInput")
    func invalidEmoji() {
        let tenThousand = String(repeating: "😀", count: 10_000)
        for bad in ["", "👍👍", "ab", " ", "\n", "\u{7}", tenThousand, String(repeating: "\u{301}", count: 40)] {
            do {
                _ = try Emoji(bad)
                Issue.record("accepted \(bad.prefix(8).debugDescription)")
            } catch {
                #expect(error.code == .invalidInput)
            }
        }
    }

    @Test("attachment references are validated")
    func attachments() throws {
        let ok = try AttachmentReference(id: "uploads/1.png", mediaType: "Image/PNG", byteCount: 10, name: "cat.png")
        #expect(ok.mediaType == "image/png")
        #expect(throws: MessagingError.self) { try AttachmentReference(id: "", mediaType: "image/png", byteCount: 1) }
        #expect(throws: MessagingError.self) { try AttachmentReference(id: "a", mediaType: "png", byteCount: 1) }
        #expect(throws: MessagingError.self) { try AttachmentReference(id: "a", mediaType: "image/png", byteCount: -1) }
    }

    @Test("the permission table and role order")
    func permissions() {
        #expect(Role.member < .admin && Role.admin < .owner)
        let table = PermissionTable.standard
        for action in ConversationAction.allCases {
            #expect(!table.allows(.member, to: action))
            #expect(table.allows(.admin, to: action))
            #expect(table.allows(.owner, to: action))
        }
        let relaxed = PermissionTable(minimumRoles: [.addMember: .member])
        #expect(relaxed.allows(.member, to: .addMember))
        #expect(!relaxed.allows(.admin, to: .removeMember))  // left out: owner only
    }

    @Test("search text becomes literal words; syntax characters only separate words",
          arguments: [
            ("hello world", ["hello", "world"]),
            ("\"quoted\" *star col:value ^caret", ["quoted", "star", "col", "value", "caret"]),
            ("NEAR(a b)", ["NEAR", "a", "b"]),
            ("AND OR NOT", ["AND", "OR", "NOT"]),
            ("((unbalanced", ["unbalanced"]),
            ("café naïve 東京", ["café", "naïve", "東京"]),
          ])
    func searchTerms(_ input: String, _ expected: [String]) throws {
        #expect(try SearchService.terms(in: input, maxWords: 16) == expected)
    }

    @Test("search text without words or with too many is a typed error")
    func searchTermErrors() {
        for bad in ["\"", "*", "^", "()", "   ", ":"] {
            #expect(throws: MessagingError.self) { try SearchService.terms(in: bad, maxWords: 16) }
        }
        #expect(throws: MessagingError.self) { try SearchService.terms(in: "a b c", maxWords: 2) }
        #expect(throws: MessagingError.self) { try SearchService.terms(in: String(repeating: "a ", count: 600), maxWords: 16) }
    }

    @Test("conversation cursors round-trip through their string form")
    func cursors() {
        let cursor = ConversationCursor(
            lastActivityAt: .init(millisecondsSince1970: 123), conversationID: ConversationID(UUIDv7Generator().next()))
        #expect(ConversationCursor(cursor.description) == cursor)
        #expect(ConversationCursor("garbage") == nil)
        #expect(ConversationCursor("12.not-an-id") == nil)
    }

    @Test("error codes have stable names and descriptions carry the message")
    func errors() {
        let error = MessagingError(code: .conflict, message: "taken")
        #expect(error.code.description == "conflict")
        #expect("\(error)" == "conflict: taken")
        #expect(MessagingError.Code.notFound != .forbidden)
    }
}
