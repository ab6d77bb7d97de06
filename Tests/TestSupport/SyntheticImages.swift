import Foundation

/// The bytes of an IDX file of unsigned bytes: magic `00 00 08 n`, big-endian dimensions, values.
public func idxBytes(dimensions: [Int], values: [UInt8]) -> [UInt8] {
  var bytes: [UInt8] = [0, 0, 0x08, UInt8(dimensions.count)]
  for d in dimensions {
    bytes += [UInt8(d >> 24 & 0xFF), UInt8(d >> 16 & 0xFF), UInt8(d >> 8 & 0xFF), UInt8(d & 0xFF)]
  }
  return bytes + values
}

/// A fresh empty directory under the system's temporary directory.
public func temporaryDirectory(_ label: String) -> String {
  let path = (NSTemporaryDirectory() as NSString).appendingPathComponent(
    "ujm-\(label)-\(UUID().uuidString)")
  try! FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// Writes a small image-classification data set in the Fashion-MNIST layout (plain IDX files
/// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte`, `t10k-…`) to `directory`: `side×side`
/// images of `classes` classes, class k brightest in its own band of pixels plus seeded noise,
/// so that a network can learn it. Labels cycle 0, 1, …, classes−1.
public func writeSyntheticImageData(
  to directory: String, train: Int = 240, test: Int = 60, side: Int = 4, classes: Int = 3,
  seed: UInt64 = 7
) {
  var rng = testGenerator(seed)
  func split(_ count: Int, _ prefix: String) {
    var pixels: [UInt8] = []
    var labels: [UInt8] = []
    let features = side * side
    for n in 0..<count {
      let label = n % classes
      labels.append(UInt8(label))
      for f in 0..<features {
        let inBand = f % classes == label
        let base = inBand ? 170 : 40
        pixels.append(UInt8(base + Int(rng.next() % 60)))
      }
    }
    let images = idxBytes(dimensions: [count, side, side], values: pixels)
    let labelFile = idxBytes(dimensions: [count], values: labels)
    let dir = directory as NSString
    FileManager.default.createFile(
      atPath: dir.appendingPathComponent("\(prefix)-images-idx3-ubyte"), contents: Data(images))
    FileManager.default.createFile(
      atPath: dir.appendingPathComponent("\(prefix)-labels-idx1-ubyte"), contents: Data(labelFile))
  }
  split(train, "train")
  split(test, "t10k")
}
