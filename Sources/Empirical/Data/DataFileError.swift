/// Why a data file could not be read. Every case names the file and, where it applies, the byte
/// offset (in the decompressed stream) at which the problem was found.
public enum DataFileError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The file does not exist.
  case missing(path: String)
  /// The file exists but cannot be opened or read.
  case unreadable(path: String, reason: String)
  /// The gzip stream is corrupt or ends early.
  case corruptCompression(path: String, offset: Int, reason: String)
  /// Bytes follow the last gzip member that do not start another member (`offset`: the
  /// compressed byte where they start).
  case trailingData(path: String, offset: Int)
  /// The first four bytes are not an IDX magic number of unsigned bytes.
  case badMagic(path: String, offset: Int, found: [UInt8])
  /// The file ends before the header or the data it announces.
  case truncated(path: String, offset: Int, expectedBytes: Int)
  /// The file is longer than its header announces, or its dimensions are not what a data set
  /// of this kind needs (e.g. images that are not 2-D).
  case sizeMismatch(path: String, offset: Int, reason: String)
  /// The images file and the labels file hold different numbers of examples.
  case countMismatch(imagesPath: String, images: Int, labelsPath: String, labels: Int)
  /// A label is not below the number of classes.
  case labelOutOfRange(path: String, offset: Int, label: Int, classes: Int)
  /// A requested class has no examples.
  case emptyClass(path: String, label: Int)
  /// A requested class is not a class of the data set (e.g. 12 in CIFAR-10).
  case noSuchClass(path: String, label: Int, classes: Int)
  /// The file holds no examples at all.
  case noExamples(path: String)
  /// Every training pixel of a channel has the same value: σ = 0, and standardisation
  /// (p/255 − μ)/σ would divide by zero (all-zero images, a blank file).
  case constantImages(path: String, channel: Int?, value: Float)
  /// The training and the test images have different sizes (or a checkpoint expects another).
  case imageSizeMismatch(trainPath: String, train: ImageShape, testPath: String, test: ImageShape)
  /// The directory holds files of more than one data-set format, so which one is meant is unclear.
  case ambiguousFormat(directory: String, found: [String])

  public var description: String {
    switch self {
    case .missing(let path): "\(path): no such file"
    case .unreadable(let path, let reason): "\(path): cannot read (\(reason))"
    case .corruptCompression(let path, let offset, let reason):
      "\(path): corrupt gzip data at decompressed byte \(offset) (\(reason))"
    case .trailingData(let path, let offset):
      "\(path): junk after the end of the gzip data at compressed byte \(offset) (not another "
        + "gzip member); the file is damaged or not what it claims"
    case .badMagic(let path, let offset, let found):
      "\(path): bad IDX magic number at byte \(offset): "
        + found.map { "0x" + String($0, radix: 16) }.joined(separator: " ")
        + " (expected 0x0 0x0 0x8 and a dimension count)"
    case .truncated(let path, let offset, let expectedBytes):
      "\(path): truncated at byte \(offset) (the header announces \(expectedBytes) bytes)"
    case .sizeMismatch(let path, let offset, let reason):
      "\(path): size mismatch at byte \(offset) (\(reason))"
    case .countMismatch(let imagesPath, let images, let labelsPath, let labels):
      "\(imagesPath) holds \(images) images but \(labelsPath) holds \(labels) labels"
    case .labelOutOfRange(let path, let offset, let label, let classes):
      "\(path): label \(label) at byte \(offset) is not below the number of classes \(classes)"
    case .emptyClass(let path, let label): "\(path): no example of class \(label)"
    case .noSuchClass(let path, let label, let classes):
      "\(path): class \(label) is not a class of this data set (0–\(classes - 1))"
    case .noExamples(let path): "\(path): holds no examples"
    case .constantImages(let path, let channel, let value):
      "\(path): every training pixel" + (channel.map { " of channel \($0)" } ?? "")
        + " is \(value) (zero variance): the data cannot be standardised; is the file blank?"
    case .imageSizeMismatch(let trainPath, let train, let testPath, let test):
      "\(trainPath) holds \(train) images but \(testPath) holds \(test) images"
    case .ambiguousFormat(let directory, let found):
      "\(directory): holds files of several data sets (\(found.joined(separator: ", "))); "
        + "point --data at a directory with one"
    }
  }
}
