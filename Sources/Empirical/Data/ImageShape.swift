import Foundation

/// The shape of one image: channels × height × width, stored channel after channel (CHW, the
/// layout of PyTorch's tensors and of the CIFAR binary files), each channel row-major.
///
/// A fully-connected network reads the `featureCount` values of an example as one flat vector
/// (the same CHW order); a convolutional one reads them as C planes of H×W.
public struct ImageShape: Sendable, Equatable, Hashable, Codable, CustomStringConvertible {
  /// C: 1 for MNIST and Fashion-MNIST, 3 (red, green, blue) for CIFAR.
  public var channels: Int
  /// H, rows of pixels.
  public var height: Int
  /// W, columns of pixels.
  public var width: Int

  public init(channels: Int, height: Int, width: Int) {
    self.channels = channels
    self.height = height
    self.width = width
  }

  /// C·H·W, the values per example.
  public var featureCount: Int { channels * height * width }
  /// H·W, the values per channel.
  public var pixelsPerChannel: Int { height * width }

  /// `28×28` for one channel, `3×32×32` otherwise.
  public var description: String {
    channels == 1 ? "\(height)×\(width)" : "\(channels)×\(height)×\(width)"
  }
}

/// The input standardisation x = (p/255 − μ_c)/σ_c, one μ_c and σ_c per channel c (a single pair
/// for one-channel data, the paper's scalar statistics).
///
/// Stored in a checkpoint's metadata as `input_mean` and `input_std`, comma-separated when there
/// are several channels (`"0.4914,0.4822,0.4465"`), so that PyTorch's per-channel
/// `transforms.Normalize(mean, std)` values can be written in directly.
public struct Standardisation: Sendable, Equatable {
  /// μ_c, the mean of the training pixels p/255 of channel c.
  public var mean: [Float]
  /// σ_c, their population standard deviation.
  public var std: [Float]

  /// One μ and σ per channel; both arrays must have the same, positive length.
  public init(mean: [Float], std: [Float]) {
    precondition(!mean.isEmpty && mean.count == std.count, "one μ and one σ per channel")
    self.mean = mean
    self.std = std
  }

  /// The single-channel standardisation (μ, σ).
  public init(mean: Float, std: Float) { self.init(mean: [mean], std: [std]) }

  /// The number of channels standardised.
  public var channels: Int { mean.count }

  /// The metadata text of a list of values: comma-separated `Float` descriptions.
  static func text(_ values: [Float]) -> String {
    values.map { "\($0)" }.joined(separator: ",")
  }

  /// Parses metadata text written by `text(_:)` (or by hand): nil when an entry is not a number.
  static func values(_ text: String) -> [Float]? {
    let parts = text.split(separator: ",", omittingEmptySubsequences: false).map {
      Float($0.trimmingCharacters(in: .whitespaces))
    }
    return parts.isEmpty || parts.contains(nil) ? nil : parts.map { $0! }
  }
}
