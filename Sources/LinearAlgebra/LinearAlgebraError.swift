/// A failure reported by a LAPACK routine, named and explained so that a user can act on it.
///
/// The message names the routine and the meaning of its `info` code, e.g.
/// "dgesdd: the SVD did not converge (info=3)".
public struct LAPACKError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The routine that failed, with its type prefix (`dgesdd`).
  public var routine: String
  /// LAPACK's status code: negative for an illegal argument, positive for a numerical failure.
  public var info: Int
  /// What the code means for this routine.
  public var meaning: String

  public init(routine: String, info: Int, meaning: String) {
    self.routine = routine
    self.info = info
    self.meaning = meaning
  }

  public var description: String {
    info == 0 ? meaning : "\(routine): \(meaning) (info=\(info))"
  }

  /// The input `quantity` ("the Hessian ∇²F", "the Jacobian of block 3") has a NaN or an
  /// infinite entry (an overflow), so `routine` is not called: LAPACK would only say that an
  /// argument "had an illegal value". The description is one sentence naming the quantity.
  public static func nonFinite(_ quantity: String, routine: String) -> LAPACKError {
    LAPACKError(
      routine: routine, info: 0,
      meaning:
        "\(quantity) has non-finite entries (an overflow), so its \(routine) cannot be computed"
    )
  }

  /// Throws when `info` is non-zero, with `meaning` used for positive codes.
  static func check(_ info: Int, routine: String, positive: String) throws(LAPACKError) {
    if info == 0 { return }
    if info < 0 {
      throw LAPACKError(
        routine: routine, info: info, meaning: "argument \(-info) had an illegal value")
    }
    throw LAPACKError(routine: routine, info: info, meaning: positive)
  }
}
