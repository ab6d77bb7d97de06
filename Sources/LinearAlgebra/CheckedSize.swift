// Goals, in order of priority: no reader or size estimate ever traps on overflow; one place for
// the checked products every reader uses before it allocates.

extension Sequence where Element == Int {
  /// The product of the elements, or nil when a factor is negative or the product overflows
  /// `Int` (e.g. the element count of a header claiming shape `(2^32, 2^32)`).
  ///
  /// Readers compute sizes with this (and `multipliedReportingOverflow`) before any allocation,
  /// so that a hostile header is a typed error naming the file instead of a trap.
  public var checkedProduct: Int? {
    var product = 1
    for factor in self {
      guard factor >= 0 else { return nil }
      let (p, overflow) = product.multipliedReportingOverflow(by: factor)
      if overflow { return nil }
      product = p
    }
    return product
  }
}

extension Int {
  /// `self · other + addend`, or nil on overflow (a byte count: elements × width + header).
  public func checkedMultiplied(by other: Int, adding addend: Int = 0) -> Int? {
    let (p, o1) = multipliedReportingOverflow(by: other)
    if o1 { return nil }
    let (s, o2) = p.addingReportingOverflow(addend)
    return o2 ? nil : s
  }
}
