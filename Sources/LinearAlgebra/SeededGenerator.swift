// Goals, in order of priority: reproducible streams from a 64-bit seed on every platform;
// a state that can be saved and restored (checkpoints); speed.

/// A seedable pseudo-random generator: xoshiro256** (Blackman & Vigna, 2018), seeded through
/// SplitMix64 so that any 64-bit seed, including 0, gives a well-mixed state.
///
/// Every random API in ujm takes `using generator: inout some RandomNumberGenerator`; this is
/// the generator the CLI passes, seeded with `--seed`.
public struct SeededGenerator: RandomNumberGenerator, Sendable, Equatable, Codable {
  /// The four words of xoshiro256** state; saving and restoring them resumes the stream.
  public var state: (UInt64, UInt64, UInt64, UInt64) {
    get { (s0, s1, s2, s3) }
    set { (s0, s1, s2, s3) = newValue }
  }
  private var s0: UInt64
  private var s1: UInt64
  private var s2: UInt64
  private var s3: UInt64

  /// A generator whose stream is determined by `seed`.
  public init(seed: UInt64) {
    var x = seed
    func splitMix() -> UInt64 {
      x &+= 0x9E37_79B9_7F4A_7C15
      var z = x
      z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
      z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
      return z ^ (z >> 31)
    }
    s0 = splitMix()
    s1 = splitMix()
    s2 = splitMix()
    s3 = splitMix()
  }

  /// A generator resuming from a saved `state`.
  public init(state: (UInt64, UInt64, UInt64, UInt64)) {
    (s0, s1, s2, s3) = state
  }

  public mutating func next() -> UInt64 {
    let result = rotl(s1 &* 5, 7) &* 9
    let t = s1 << 17
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = rotl(s3, 45)
    return result
  }

  private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

  public static func == (a: SeededGenerator, b: SeededGenerator) -> Bool {
    a.s0 == b.s0 && a.s1 == b.s1 && a.s2 == b.s2 && a.s3 == b.s3
  }
}
