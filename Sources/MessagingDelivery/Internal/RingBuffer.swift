/// A FIFO queue in a growable ring: pushes and pops allocate nothing once the ring has
/// grown to the queue's working size.
struct RingBuffer<Element> {
    private var storage: [Element?] = []
    private var head = 0
    private(set) var count = 0

    var isEmpty: Bool { count == 0 }

    mutating func append(_ element: Element) {
        if count == storage.count { grow() }
        storage[(head + count) & (storage.count - 1)] = element
        count += 1
    }

    mutating func popFirst() -> Element? {
        guard count > 0 else { return nil }
        let element = storage[head].take()
        head = (head + 1) & (storage.count - 1)
        count -= 1
        return element
    }

    /// Drops every element, keeping the capacity.
    mutating func removeAll() {
        while popFirst() != nil {}
        head = 0
    }

    /// Doubles the capacity (always a power of two; 2 at first, so 100,000 idle sessions
    /// stay small), keeping the order.
    private mutating func grow() {
        let newCapacity = max(2, storage.count * 2)
        var newStorage = [Element?](repeating: nil, count: newCapacity)
        for index in 0..<count {
            newStorage[index] = storage[(head + index) & (storage.count - 1)].take()
        }
        storage = newStorage
        head = 0
    }
}
