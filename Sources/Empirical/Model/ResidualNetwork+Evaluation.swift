// Goals, in order of priority: the evaluation-mode forward pass as public, value-typed API for
// the measurements (trajectories h₁…h_{L+1}, logits); the same code path as training and
// `ujm evaluate`; Float64 copies of Float32 checkpoints for the Jacobians.

import LinearAlgebra

extension ResidualNetwork where Scalar: KernelScalar {
  /// The trajectory h₁, …, h_{L+1} of each input in evaluation mode (running BatchNorm
  /// statistics; residual branches scaled by 1 − p when trained with drop-path):
  /// h₁ = ReLU(BN₀(W₀x)), h_{i+1} = h_i + F_i(h_i) (Section 2; the points whose alignment RA1
  /// measures). `inputs` is n₀×k, one input per column; the result has L+1 matrices of size D×k.
  public func trajectory(of inputs: Matrix<Scalar>) -> [Matrix<Scalar>] {
    forwardInEvaluationMode(inputs).hidden
  }

  /// The logits W_c·ReLU(BN_f(h_{L+1})) + b_c (C×k) of each input column, in evaluation mode.
  public func logits(for inputs: Matrix<Scalar>) -> Matrix<Scalar> {
    forwardInEvaluationMode(inputs).logits
  }

  private func forwardInEvaluationMode(_ inputs: Matrix<Scalar>)
    -> (hidden: [Matrix<Scalar>], logits: Matrix<Scalar>)
  {
    precondition(inputs.rows == inputSize, "inputs have \(inputs.rows) rows, expected \(inputSize)")
    let k = inputs.columns
    var hidden = (0...depth).map { _ in Matrix<Scalar>(rows: width, columns: k) }
    var logits = Matrix<Scalar>(rows: classCount, columns: k)
    if k == 0 { return (hidden, logits) }
    let workspace = NetworkWorkspace(model: self, capacity: k)
    inputs.storage.withUnsafeBufferPointer { workspace.loadInput($0.baseAddress!, count: k) }
    workspace.forward(self, training: false)
    for i in 0...depth {
      hidden[i].withUnsafeMutableBufferPointer {
        $0.baseAddress!.update(from: workspace.hidden[i].pointer, count: width * k)
      }
    }
    logits.withUnsafeMutableBufferPointer {
      $0.baseAddress!.update(from: workspace.logits.pointer, count: classCount * k)
    }
    return (hidden, logits)
  }
}

extension ResidualNetwork {
  /// The same network with every weight and statistic converted to `Other` (e.g. a Float64
  /// copy of a Float32 checkpoint for Jacobians and their SVDs).
  public func converted<Other: BLASScalar>(to: Other.Type = Other.self) -> ResidualNetwork<Other> {
    return ResidualNetwork<Other>(
      fc0: fc0.converted(), bn0: bn0.converted(),
      blocks: blocks.map {
        ResidualBlock(
          bn1: $0.bn1.converted(), fc1: $0.fc1.converted(), bn2: $0.bn2.converted(),
          fc2: $0.fc2.converted())
      }, bnf: bnf.converted(), cls: cls.converted(), clsBias: clsBias.map { Other($0) },
      skips: skips,
      dropPath: dropPath)
  }
}
