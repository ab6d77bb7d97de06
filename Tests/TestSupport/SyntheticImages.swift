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

/// Writes a small data set in the binary layout of CIFAR-10 (`cifar100: false`: five
/// `data_batch_k.bin` files sharing `train` records, `test_batch.bin`; records of a label byte
/// and 3072 pixels) or CIFAR-100 (`train.bin`, `test.bin`; records of a coarse label, a fine label
/// and 3072 pixels). Written byte by byte from the published layout, not by ujm's writer.
/// Example n has fine label `n % classes` (coarse label `n % 20`); channel c of every image is
/// offset by 60·c so that the per-channel means differ. Returns the files written.
@discardableResult
public func writeSyntheticCIFAR(
  to directory: String, cifar100: Bool = false, train: Int = 20, test: Int = 10,
  classes: Int = 10, seed: UInt64 = 9
) -> [String] {
  var rng = testGenerator(seed)
  func records(_ range: Range<Int>) -> [UInt8] {
    var bytes: [UInt8] = []
    for n in range {
      if cifar100 { bytes.append(UInt8(n % 20)) }
      bytes.append(UInt8(n % classes))
      for c in 0..<3 {
        for _ in 0..<1024 { bytes.append(UInt8(60 * c + Int(rng.next() % 100))) }
      }
    }
    return bytes
  }
  let dir = directory as NSString
  var files: [(String, [UInt8])] = []
  if cifar100 {
    files = [("train.bin", records(0..<train)), ("test.bin", records(0..<test))]
  } else {
    let per = train / 5
    for k in 0..<5 {
      let end = k == 4 ? train : (k + 1) * per
      files.append(("data_batch_\(k + 1).bin", records((k * per)..<end)))
    }
    files.append(("test_batch.bin", records(0..<test)))
  }
  for (name, bytes) in files {
    FileManager.default.createFile(atPath: dir.appendingPathComponent(name), contents: Data(bytes))
  }
  return files.map { dir.appendingPathComponent($0.0) }
}
