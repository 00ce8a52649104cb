@testable import MessagingPresence
import Testing

@Suite("Timing wheel")
struct TimingWheelTests {
    @Test("Timers fire on the first advance at or after their deadline, at most one tick late")
    func firesOnTime() {
        var wheel = TimingWheel<Int>(tickMilliseconds: 100, horizonMilliseconds: 1_000, startMilliseconds: 0)
        for (timer, deadline) in [(1, 50), (2, 100), (3, 101), (4, 999)] {
            wheel.schedule(timer, onTick: wheel.tick(for: Int64(deadline)))
        }
        #expect(wheel.advance(to: 99).isEmpty)
        #expect(wheel.advance(to: 100).map(\.timer) == [1, 2])
        #expect(wheel.advance(to: 199).isEmpty)
        #expect(wheel.advance(to: 200).map(\.timer) == [3])
        #expect(wheel.advance(to: 999).isEmpty)
        #expect(wheel.advance(to: 1_000).map(\.timer) == [4])
        #expect(wheel.count == 0)
    }

    @Test("Advancing touches only due buckets: timers far ahead stay put")
    func onlyDue() {
        var wheel = TimingWheel<Int>(tickMilliseconds: 10, horizonMilliseconds: 1_000, startMilliseconds: 0)
        for timer in 0..<10_000 { wheel.schedule(timer, onTick: wheel.tick(for: 900)) }
        wheel.schedule(-1, onTick: wheel.tick(for: 15))
        #expect(wheel.advance(to: 20).map(\.timer) == [-1])
        #expect(wheel.count == 10_000)
    }

    @Test("Deadlines past the horizon and late advances still fire each timer once, not early")
    func lagging() {
        var wheel = TimingWheel<Int>(tickMilliseconds: 10, horizonMilliseconds: 50, startMilliseconds: 0)
        // The horizon is 7 slots; 200 ms wraps around the wheel several times.
        wheel.schedule(1, onTick: wheel.tick(for: 200))
        wheel.schedule(2, onTick: wheel.tick(for: 30))
        #expect(wheel.advance(to: 30).map(\.timer) == [2])
        #expect(wheel.advance(to: 190).isEmpty, "not before its own tick though its slot came round")
        #expect(wheel.advance(to: 200).map(\.timer) == [1])
        // A very late advance (many turns) fires everything due exactly once.
        for timer in 10..<20 { wheel.schedule(timer, onTick: wheel.tick(for: Int64(200 + timer * 7))) }
        #expect(wheel.advance(to: 10_000).map(\.timer).sorted() == Array(10..<20))
        #expect(wheel.count == 0)
    }
}
