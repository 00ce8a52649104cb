/// Whole milliseconds of a duration, rounded toward zero: the unit of every internal time.
func Milliseconds(_ duration: Duration) -> Int64 {
    let (seconds, attoseconds) = duration.components
    return seconds &* 1000 &+ attoseconds / 1_000_000_000_000_000
}
