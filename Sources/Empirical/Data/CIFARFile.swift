// Goals, in order of priority: reject every malformed file with an error naming the file, the
// byte offset and what is wrong (truncated, wrong record size, label out of range); read the
// files exactly as Krizhevsky's binary version lays them out; read 50,000 images in a second.

import LinearAlgebra

/// One file of the binary version of CIFAR-10 or CIFAR-100 (Krizhevsky, 2009,
/// https://www.cs.toronto.edu/~kriz/cifar.html): fixed-size records, no header.
///
/// - CIFAR-10 (`data_batch_1.bin` … `data_batch_5.bin`, `test_batch.bin`): each record is one
///   label byte (0–9), then 3072 pixel bytes.
/// - CIFAR-100 (`train.bin`, `test.bin`): each record is a coarse label byte (0–19), a fine label
///   byte (0–99), then 3072 pixel bytes.
///
/// The 3072 pixels are the 1024 red values of the 32×32 image row by row, then the green, then the
/// blue: CHW order, which `pixels` keeps.
public struct CIFARFile: Sendable, Equatable {
  /// Which of the two data sets a file belongs to (the record layout).
  public enum Kind: Sendable, Equatable {
    case cifar10
    case cifar100

    /// Label bytes before each image: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, fine).
    public var labelBytes: Int { self == .cifar10 ? 1 : 2 }
    /// Bytes per record: label bytes + 3072.
    public var recordSize: Int { labelBytes + CIFARFile.imageShape.featureCount }
  }

  /// Which labels of a CIFAR-100 record are the classes (CIFAR-10 has one label).
  public enum Labels: String, Sendable, Equatable, CaseIterable {
    /// The 100 fine classes (the default).
    case fine
    /// The 20 superclasses.
    case coarse
  }

  /// 3×32×32, every CIFAR image.
  public static let imageShape = ImageShape(channels: 3, height: 32, width: 32)

  /// The layout of the records.
  public var kind: Kind
  /// The pixels of every image, image after image, each in CHW order.
  public var pixels: [UInt8]
  /// The CIFAR-10 label (0–9), or CIFAR-100's fine label (0–99), of each image.
  public var fineLabels: [UInt8]
  /// CIFAR-100's coarse label (0–19) of each image; empty for CIFAR-10.
  public var coarseLabels: [UInt8]

  /// The number of images.
  public var count: Int { fineLabels.count }

  /// The labels of each image that count as classes, and how many classes there are.
  public func labels(_ which: Labels) -> (labels: [UInt8], classCount: Int) {
    switch (kind, which) {
    case (.cifar10, _): (fineLabels, 10)
    case (.cifar100, .fine): (fineLabels, 100)
    case (.cifar100, .coarse): (coarseLabels, 20)
    }
  }

  /// The most records one file may hold: 60,000 (the largest file of either data set,
  /// CIFAR-100's `train.bin`, holds 50,000), so that decompression stops there.
  public static let maximumRecords = 60_000

  /// Reads a CIFAR binary file (plain, or gzip-compressed); at most `maximumRecords` records.
  public init(contentsOf path: String, kind: Kind) throws(DataFileError) {
    let bytes = try readPossiblyCompressedFile(
      atPath: path, maximumBytes: Self.maximumRecords * kind.recordSize)
    try self.init(decoding: bytes, kind: kind, path: path)
  }

  /// Parses the records; `path` only names the source in errors.
  public init(decoding bytes: [UInt8], kind: Kind, path: String) throws(DataFileError) {
    let record = kind.recordSize
    guard !bytes.isEmpty else { throw .noExamples(path: path) }
    let (records, remainder) = bytes.count.quotientAndRemainder(dividingBy: record)
    guard remainder == 0 else {
      let other: Kind = kind == .cifar10 ? .cifar100 : .cifar10
      if bytes.count % other.recordSize == 0 {
        throw .sizeMismatch(
          path: path, offset: records * record,
          reason: "wrong record size: \(bytes.count) bytes are not a whole number of "
            + "\(record)-byte records but are of \(other.recordSize)-byte ones; is this a "
            + "\(other == .cifar10 ? "CIFAR-10" : "CIFAR-100") file?")
      }
      throw .truncated(
        path: path, offset: bytes.count, expectedBytes: (records + 1) * record)
    }
    let features = Self.imageShape.featureCount
    guard let pixelCount = records.checkedMultiplied(by: features) else {
      throw .sizeMismatch(path: path, offset: 0, reason: "too many records")
    }
    var pixels: [UInt8] = []
    pixels.reserveCapacity(pixelCount)
    var fine = [UInt8](repeating: 0, count: records)
    var coarse = [UInt8](repeating: 0, count: kind == .cifar100 ? records : 0)
    for n in 0..<records {
      let start = n * record
      if kind == .cifar100 {
        guard bytes[start] < 20 else {
          throw .labelOutOfRange(path: path, offset: start, label: Int(bytes[start]), classes: 20)
        }
        coarse[n] = bytes[start]
      }
      let labelOffset = start + kind.labelBytes - 1
      let classes = kind == .cifar10 ? 10 : 100
      guard Int(bytes[labelOffset]) < classes else {
        throw .labelOutOfRange(
          path: path, offset: labelOffset, label: Int(bytes[labelOffset]), classes: classes)
      }
      fine[n] = bytes[labelOffset]
      let source = start + kind.labelBytes
      pixels.append(contentsOf: bytes[source..<(source + features)])
    }
    self.kind = kind
    self.pixels = pixels
    self.fineLabels = fine
    self.coarseLabels = coarse
  }

  /// An in-memory file (tests write small CIFAR files with `encoded`).
  public init(kind: Kind, pixels: [UInt8], fineLabels: [UInt8], coarseLabels: [UInt8] = []) {
    precondition(
      pixels.count == fineLabels.count * Self.imageShape.featureCount
        && coarseLabels.count == (kind == .cifar100 ? fineLabels.count : 0),
      "pixels and labels do not match")
    self.kind = kind
    self.pixels = pixels
    self.fineLabels = fineLabels
    self.coarseLabels = coarseLabels
  }

  /// The file's bytes: the records, label byte(s) then pixels.
  public var encoded: [UInt8] {
    let features = Self.imageShape.featureCount
    var bytes: [UInt8] = []
    bytes.reserveCapacity(count * kind.recordSize)
    for n in 0..<count {
      if kind == .cifar100 { bytes.append(coarseLabels[n]) }
      bytes.append(fineLabels[n])
      bytes += pixels[(n * features)..<((n + 1) * features)]
    }
    return bytes
  }
}
