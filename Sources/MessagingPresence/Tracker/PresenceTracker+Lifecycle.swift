import MessagingCore
import ServiceLifecycle

extension PresenceTracker {
    // MARK: Expiry and lifecycle

    /// Runs one expiry step at the clock's current time: expires due devices, ends grace
    /// periods and typing indicators, then writes the step's changes to the store and
    /// renews this node's lease when due. ``run()`` calls it once per
    /// ``PresenceConfiguration/expiryStep``; call it directly only in tests or when driving
    /// expiry yourself. Returns how many devices expired.
    @discardableResult
    public func step() async -> Int {
        let time = now()
        let wallNow = wallClock.now()
        let (expired, outbox) = state.withLock { state in
            state.wallOffset = wallNow.millisecondsSince1970 - time
            let expired = state.expire(now: time)
            let outbox = state.outbox
            state.outbox = Outbox()
            return (expired, outbox)
        }
        let renewLease = nextLeaseRenewal.withLock { next in
            guard time >= next else { return false }
            next = time + Milliseconds(configuration.leaseRenewalInterval)
            return true
        }
        await write(outbox, renewLease: renewLease, at: wallNow)
        return expired
    }

    /// The first instant after now that is a whole number of steps after the tracker started.
    func nextTickBoundary() -> C.Instant {
        let step = max(1, Milliseconds(configuration.expiryStep))
        let elapsed = now()
        return origin.advanced(by: .milliseconds((elapsed / step + 1) * step))
    }

    /// Writes the outbox behind; on failure puts it back for the next step.
    func write(_ outbox: Outbox, renewLease: Bool, at wallNow: Timestamp) async {
        let leaseEnd = wallNow.adding(milliseconds: Milliseconds(configuration.maximumDeviceTTL))
        let node = configuration.nodeID
        if !outbox.isEmpty {
            var saves: [DeviceEntry] = []
            var removals: [DeviceKey] = []
            for (key, pending) in outbox.devices {
                if let pending {
                    saves.append(DeviceEntry(
                        key: key, nodeID: node, activity: pending.activity, connectedAt: pending.connectedAt, expiresAt: leaseEnd))
                } else {
                    removals.append(key)
                }
            }
            do {
                try await store.write(saves: saves, removals: removals, records: Array(outbox.records.values))
            } catch {
                logger.warning("presence store write failed; retrying at the next step", metadata: ["error": "\(error)"])
                state.withLock { $0.outbox.restore(outbox) }
            }
        }
        do {
            if renewLease { try await store.renewLease(of: node, until: leaseEnd) }
            let reaped = try await store.removeExpired(at: wallNow, limit: 1_000)
            if !reaped.isEmpty {
                logger.info("removed devices of nodes whose lease lapsed", metadata: ["count": "\(reaped.count)"])
                // Those users' watchers here learn it now (other nodes from the store's announcement).
                await refreshRemote(reaped.map(\.key.userID))
            }
        } catch {
            logger.warning("presence store lease upkeep failed; retrying at the next step", metadata: ["error": "\(error)"])
        }
    }

    /// Drives expiry: one ``step()`` per ``PresenceConfiguration/expiryStep`` on the
    /// injected clock, until the task is cancelled or graceful shutdown begins. Then it
    /// ends every subscription, removes this node's devices from the store and writes the
    /// last changes.
    public func run() async throws {
        let interval = configuration.expiryStep
        await cancelWhenGracefulShutdown {
            // Steps fall on tick boundaries, so a deadline is processed less than one step after it passes.
            var next = self.nextTickBoundary()
            while !Task.isCancelled {
                do {
                    try await self.clock.sleep(until: next, tolerance: nil)
                } catch {
                    break
                }
                await self.step()
                next = next.advanced(by: interval)
                if next <= self.clock.now { next = self.nextTickBoundary() }  // fell behind: no burst of steps
            }
        }
        state.withLock { state in
            for key in state.devices.keys { state.outbox.remove(key) }
            state.shutDown()
        }
        let wallNow = wallClock.now()
        let outbox = state.withLock { state in
            let outbox = state.outbox
            state.outbox = Outbox()
            return outbox
        }
        await write(outbox, renewLease: false, at: wallNow)
    }
}
