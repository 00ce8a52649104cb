import Foundation
import MessagingCore
import MessagingE2EE
import MessagingE2EEVerification
import MessagingPersistence
import TestSupport
import Testing

/// Random sequences of membership, device and key operations on one encrypted conversation,
/// run against the real use cases (SQLite, libsodium) and a model of the epoch rules. After
/// every step the server must agree with the model: who may receive a key, which epochs a
/// message may name, what each device's inbox holds.
@Suite("Encrypted conversations: model-based epoch rules")
struct EpochModelTests {
    struct ModelDevice {
        let identity: DeviceIdentity
        let user: Int
        var active = true
        var id: DeviceID { DeviceID(UUIDv7(identity.deviceID.uuidString)!) }
        var bundle: DeviceBundle { identity.makeBundle() }
    }

    static func code(_ error: any Error) -> MessagingError.Code? { (error as? MessagingError)?.code }

    @Test("server and model agree over 150 random operations", arguments: [1, 2, 3, 4, 5] as [UInt64])
    func randomOperations(seed: UInt64) async throws {
        var random = SeededGenerator(seed: seed)
        let database = try TemporaryDatabase("epoch-model")
        defer { database.remove() }
        let messaging = try database.messaging()
        var users: [UserID] = []
        for index in 0..<5 { users.append(try await messaging.users.register(handle: "user\(index)", displayName: "U\(index)").id) }
        let conversation = try await messaging.conversations.create(
            .group(title: "model", members: [users[1], users[2]]), by: users[0], encrypted: true)
        let conversationUUID = UUID(uuidString: conversation.id.description)!

        var members: Set<Int> = [0, 1, 2]
        var devices: [ModelDevice] = []
        var keyEpoch: UInt64 = 0
        var requiredEpoch: UInt64 = 1
        var keys: [UInt64: ConversationKey] = [:]
        var holders: [UInt64: Set<DeviceID>] = [:]
        var sent = 0

        func activeMemberDevices() -> [ModelDevice] { devices.filter { $0.active && members.contains($0.user) } }
        func publish(for user: Int) async throws {
            let identity = try DeviceIdentity.generate(deviceID: newUUID(), userID: UUID(uuidString: users[user].description)!)
            let publication = try await messaging.devices.publish(Data(identity.makeBundle().serialized), by: users[user])
            #expect(publication.isNew)
            devices.append(ModelDevice(identity: identity, user: user))
        }
        for user in 0..<3 { try await publish(for: user) }

        for step in 0..<150 {
            let context = "seed \(seed) step \(step)"
            switch Int.random(in: 0..<16, using: &random) {
            case 10:  // a member leaves on their own
                guard let user = members.subtracting([0]).randomElement(using: &random) else { continue }
                try await messaging.conversations.leave(conversation.id, by: users[user])
                members.remove(user)
                requiredEpoch = max(requiredEpoch, keyEpoch + 1)
            case 11:  // a removed device of a member tries to send: forbidden, whatever the epoch
                guard keyEpoch > 0, let removed = devices.filter({ !$0.active && members.contains($0.user) }).randomElement(using: &random),
                    let key = keys[keyEpoch]
                else { continue }
                let clientID = "r-\(seed)-\(step)"
                let sealed = try SealedMessage.seal(Array("x".utf8), clientMessageID: clientID, with: key, from: removed.identity)
                let draft = try MessageDraft(
                    ciphertext: Data(sealed.serialized), clientMessageID: ClientMessageID(clientID),
                    encryption: EncryptionHeader(epoch: keyEpoch, senderDeviceID: removed.id))
                await #expect("\(context): a removed device cannot send") {
                    _ = try await messaging.messages.send(draft, to: conversation.id, by: users[removed.user])
                } throws: { Self.code($0) == .forbidden }
            case 12:  // a non-member's device uploads envelopes: not_found, nothing stored
                guard let outsider = devices.filter({ $0.active && !members.contains($0.user) }).randomElement(using: &random) else { continue }
                let key = try ConversationKey.generate(conversationID: conversationUUID, epoch: keyEpoch + 1)
                let envelopes = try activeMemberDevices().map { Data(try KeyEnvelope.seal(key, to: $0.bundle, from: outsider.identity).serialized) }
                guard !envelopes.isEmpty else { continue }
                await #expect("\(context): a non-member cannot distribute keys") {
                    _ = try await messaging.devices.uploadEnvelopes(
                        envelopes, epoch: keyEpoch + 1, from: outsider.id, in: conversation.id, by: users[outsider.user])
                } throws: { Self.code($0) == .notFound }
            case 0:  // add a member
                guard let user = (0..<5).filter({ !members.contains($0) }).randomElement(using: &random) else { continue }
                _ = try await messaging.conversations.addMember(users[user], to: conversation.id, by: users[0])
                members.insert(user)
            case 1:  // remove a member
                guard let user = members.subtracting([0]).randomElement(using: &random) else { continue }
                try await messaging.conversations.removeMember(users[user], from: conversation.id, by: users[0])
                members.remove(user)
                requiredEpoch = max(requiredEpoch, keyEpoch + 1)
            case 2:  // publish a device (members and non-members)
                try await publish(for: Int.random(in: 0..<5, using: &random))
            case 3:  // remove a device
                guard let index = devices.indices.filter({ devices[$0].active }).randomElement(using: &random) else { continue }
                _ = try await messaging.devices.remove(devices[index].id, by: users[devices[index].user])
                devices[index].active = false
                if members.contains(devices[index].user) { requiredEpoch = max(requiredEpoch, keyEpoch + 1) }
            case 4, 5, 13:  // rotate, sometimes with a stale device list first
                guard let sender = activeMemberDevices().randomElement(using: &random) else { continue }
                let listed = try await messaging.devices.devices(of: conversation.id, for: users[sender.user])
                #expect(Set(listed.devices.map(\.id)) == Set(activeMemberDevices().map(\.id)), "\(context): device list")
                let bundles = try listed.devices.map { try DeviceBundle(serialized: [UInt8]($0.bundle)) }
                let epoch = keyEpoch + 1
                if bundles.count > 1, Bool.random(using: &random) {
                    let stale = try EpochRotation.start(
                        conversationID: conversationUUID, epoch: epoch, sender: sender.identity, devices: bundles.filter { $0.deviceID != sender.identity.deviceID })
                    await #expect(throws: MessagingError.self, "\(context): a new epoch must reach every device") {
                        _ = try await messaging.devices.uploadEnvelopes(
                            stale.envelopes.map { Data($0.serialized) }, epoch: epoch, from: sender.id, in: conversation.id, by: users[sender.user])
                    }
                }
                let rotation = try EpochRotation.start(conversationID: conversationUUID, epoch: epoch, sender: sender.identity, devices: bundles)
                let receipt = try await messaging.devices.uploadEnvelopes(
                    rotation.envelopes.map { Data($0.serialized) }, epoch: epoch, from: sender.id, in: conversation.id, by: users[sender.user])
                #expect(receipt.startedEpoch && receipt.keyState.keyEpoch == epoch, "\(context)")
                keyEpoch = epoch
                keys[epoch] = rotation.key
                holders[epoch] = Set(bundles.map { DeviceID(UUIDv7($0.deviceID.uuidString)!) })
            case 6:  // share the current key with devices that lack it
                guard keyEpoch > 0, let sender = activeMemberDevices().randomElement(using: &random) else { continue }
                let lacking = activeMemberDevices().filter { !(holders[keyEpoch] ?? []).contains($0.id) }
                guard !lacking.isEmpty, let key = keys[keyEpoch] else { continue }
                let envelopes = try lacking.map { Data(try KeyEnvelope.seal(key, to: $0.bundle, from: sender.identity).serialized) }
                do {
                    _ = try await messaging.devices.uploadEnvelopes(
                        envelopes, epoch: keyEpoch, from: sender.id, in: conversation.id, by: users[sender.user])
                    #expect(keyEpoch >= requiredEpoch && holders[keyEpoch]!.contains(sender.id), "\(context): share accepted")
                    holders[keyEpoch]!.formUnion(lacking.map(\.id))
                } catch {
                    let expected: MessagingError.Code = keyEpoch < requiredEpoch ? .rekeyRequired : .forbidden
                    #expect(Self.code(error) == expected, "\(context): share refused with \(error)")
                    #expect(keyEpoch < requiredEpoch || !holders[keyEpoch]!.contains(sender.id), "\(context): share refused wrongly")
                }
            default:  // send with a random epoch from a member's device, or a non-member's
                let candidates = Int.random(in: 0..<4, using: &random) == 0 ? devices.filter(\.active) : activeMemberDevices()
                guard let sender = candidates.randomElement(using: &random) else { continue }
                // Half the time the current epoch (what a client uses), else any epoch up to one ahead.
                let epoch = keyEpoch > 0 && Bool.random(using: &random) ? keyEpoch : UInt64.random(in: 1...(keyEpoch + 1), using: &random)
                let key = try keys[epoch] ?? ConversationKey.generate(conversationID: conversationUUID, epoch: epoch)
                let clientID = "m-\(seed)-\(step)"
                let sealed = try SealedMessage.seal(Array("step \(step)".utf8), clientMessageID: clientID, with: key, from: sender.identity)
                let draft = try MessageDraft(
                    ciphertext: Data(sealed.serialized), clientMessageID: ClientMessageID(clientID),
                    encryption: EncryptionHeader(epoch: epoch, senderDeviceID: sender.id))
                let isMember = members.contains(sender.user)
                let allowed = isMember && keyEpoch >= 1 && epoch >= requiredEpoch && epoch <= keyEpoch
                do {
                    _ = try await messaging.messages.send(draft, to: conversation.id, by: users[sender.user])
                    #expect(allowed, "\(context): send at epoch \(epoch) accepted (key \(keyEpoch), required \(requiredEpoch))")
                    sent += 1
                } catch {
                    let expected: MessagingError.Code =
                        !isMember ? .notFound : (keyEpoch < requiredEpoch || epoch < requiredEpoch) ? .rekeyRequired : .invalidInput
                    #expect(!allowed && Self.code(error) == expected, "\(context): send at epoch \(epoch) refused with \(error)")
                }
            }

            // The server's key state is the model's.
            let state = try await messaging.devices.devices(of: conversation.id, for: users[0])
            #expect(state.keyState == ConversationKeyState(keyEpoch: keyEpoch, requiredEpoch: requiredEpoch), "\(context): key state")
            #expect(state.devicesWithCurrentKey == (holders[keyEpoch] ?? []).intersection(activeMemberDevices().map(\.id)), "\(context): hasKey")
        }

        // Every inbox is gapless, and holds exactly the keys the model says, each opening to the real key.
        for device in devices {
            let page = try await messaging.devices.envelopes(for: device.id, after: 0, limit: 200, by: users[device.user])
            #expect(page.envelopes.map(\.seq) == Array(1...Int64(max(page.envelopes.count, 1))).prefix(page.envelopes.count).map { $0 })
            let epochs = Set(page.envelopes.map(\.epoch))
            #expect(epochs == Set(holders.filter { $0.value.contains(device.id) }.keys), "device \(device.id) holds the model's epochs")
            for stored in page.envelopes {
                let envelope = try KeyEnvelope(serialized: [UInt8](stored.envelope))
                let sender = try #require(devices.first { $0.id == stored.senderDeviceID })
                let key = try envelope.open(as: device.identity, from: sender.bundle, conversationID: conversationUUID, epoch: stored.epoch)
                #expect(key.hasSameKeyMaterial(as: keys[stored.epoch]!))
            }
        }
        #expect(sent >= 3 && keyEpoch > 1, "the run exercised sends (\(sent)) and rotations (\(keyEpoch))")
    }

    @Test("device caps: per user, and per encrypted conversation (a new epoch reaches every device in one upload)")
    func caps() async throws {
        let database = try TemporaryDatabase("epoch-caps")
        defer { database.remove() }
        var limits = MessagingLimits()
        limits.maxDevicesPerUser = 2
        limits.maxEncryptedConversationDevices = 3
        let messaging = try database.messaging(limits: limits)
        let alice = try await messaging.users.register(handle: "alice", displayName: "A").id
        let bob = try await messaging.users.register(handle: "bob", displayName: "B").id
        func publish(_ user: UserID) async throws -> DeviceID {
            let identity = try DeviceIdentity.generate(deviceID: newUUID(), userID: UUID(uuidString: user.description)!)
            return try await messaging.devices.publish(Data(identity.makeBundle().serialized), by: user).device.id
        }
        let first = try await publish(alice)
        _ = try await publish(alice)
        await #expect { _ = try await publish(alice) } throws: { Self.code($0) == .limitExceeded }
        _ = try await messaging.devices.remove(first, by: alice)
        _ = try await publish(alice)  // room again after a removal

        let room = try await messaging.conversations.create(.group(title: "e", members: []), by: alice, encrypted: true)
        _ = try await publish(bob)
        _ = try await publish(bob)
        // Alice's 2 devices + Bob's 2 would be 4 > 3.
        await #expect { _ = try await messaging.conversations.addMember(bob, to: room.id, by: alice) } throws: { error in
            Self.code(error) == .limitExceeded && (error as? MessagingError)?.message.contains("at most 3") == true
        }
        let carol = try await messaging.users.register(handle: "carol", displayName: "C").id
        _ = try await publish(carol)
        _ = try await messaging.conversations.addMember(carol, to: room.id, by: alice)  // 3 devices: fits
        await #expect { _ = try await publish(carol) } throws: { Self.code($0) == .limitExceeded }
        #expect(try await messaging.devices.devices(of: room.id, for: alice).devices.count == 3)
    }

    @Test("eight devices start the same epoch at once: exactly one wins, every device holds exactly its key")
    func concurrentRotations() async throws {
        let database = try TemporaryDatabase("epoch-race")
        defer { database.remove() }
        let messaging = try database.messaging()
        var users: [UserID] = []
        var identities: [DeviceIdentity] = []
        for index in 0..<8 {
            let user = try await messaging.users.register(handle: "racer\(index)", displayName: "R").id
            let identity = try DeviceIdentity.generate(deviceID: newUUID(), userID: UUID(uuidString: user.description)!)
            _ = try await messaging.devices.publish(Data(identity.makeBundle().serialized), by: user)
            users.append(user)
            identities.append(identity)
        }
        let room = try await messaging.conversations.create(
            .group(title: "race", members: Array(users.dropFirst())), by: users[0], encrypted: true)
        let roomUUID = UUID(uuidString: room.id.description)!
        let bundles = identities.map { $0.makeBundle() }
        let rotations = try identities.map { try EpochRotation.start(conversationID: roomUUID, epoch: 1, sender: $0, devices: bundles) }
        let racers = users
        let racing = identities
        let outcomes = await withTaskGroup(of: (Int, MessagingError.Code?).self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        _ = try await messaging.devices.uploadEnvelopes(
                            rotations[index].envelopes.map { Data($0.serialized) }, epoch: 1,
                            from: DeviceID(UUIDv7(racing[index].deviceID.uuidString)!), in: room.id, by: racers[index])
                        return (index, nil)
                    } catch {
                        return (index, Self.code(error))
                    }
                }
            }
            return await group.reduce(into: [Int: MessagingError.Code?]()) { $0[$1.0] = $1.1 }
        }
        let winners = outcomes.filter { $0.value == nil }.map(\.key)
        #expect(winners.count == 1, "\(outcomes)")
        #expect(outcomes.values.compactMap { $0 }.allSatisfy { $0 == .conflict }, "the others are told to fetch again: \(outcomes)")
        let winner = try #require(winners.first)
        for (index, identity) in identities.enumerated() {
            let page = try await messaging.devices.envelopes(
                for: DeviceID(UUIDv7(identity.deviceID.uuidString)!), after: 0, limit: 10, by: users[index])
            #expect(page.envelopes.count == 1)
            let envelope = try KeyEnvelope(serialized: [UInt8](try #require(page.envelopes.first).envelope))
            let key = try envelope.open(as: identity, from: bundles[winner], conversationID: roomUUID, epoch: 1)
            #expect(key.hasSameKeyMaterial(as: rotations[winner].key))
        }
        #expect(try await messaging.devices.devices(of: room.id, for: users[0]).keyState.keyEpoch == 1)
    }
}
