import Foundation
import Testing

@testable import Sweeps

@Suite("Slurm job-array script: array range, resources, threads, the run command")
struct SlurmScriptTests {
  let script = SlurmScript(
    name: "fig5", runs: 6, maxParallel: 2, cpusPerTask: 4, memory: "8G", time: "04:00:00",
    directory: "/scratch/sw/fig5", partition: "cpu", account: "def-papyan",
    ujm: "/opt/ujm/bin/ujm", spec: "/home/me/experiments/fig5.yaml", variant: "small")

  @Test func scriptHasEveryLineInOrder() {
    let lines = script.text.split(separator: "\n").map(String.init)
    print(script.text)
    #expect(
      lines == [
        "#!/bin/bash",
        "#SBATCH --job-name=ujm-fig5",
        "#SBATCH --array=0-5%2",
        "#SBATCH --cpus-per-task=4",
        "#SBATCH --mem=8G",
        "#SBATCH --time=04:00:00",
        "#SBATCH --output=/scratch/sw/fig5/logs/%A_%a.out",
        "#SBATCH --partition=cpu",
        "#SBATCH --account=def-papyan",
        "export OPENBLAS_NUM_THREADS=$SLURM_CPUS_PER_TASK",
        "exec /opt/ujm/bin/ujm sweep run /home/me/experiments/fig5.yaml --dir /scratch/sw/fig5 "
          + "--variant small --index $SLURM_ARRAY_TASK_ID",
      ])
  }

  @Test func optionalLinesAreLeftOutAndOddPathsQuoted() {
    var s = script
    (s.memory, s.time, s.partition, s.account, s.variant) = (nil, nil, nil, nil, nil)
    s.spec = "/home/me/my spec.yaml"
    let text = s.text
    #expect(!text.contains("--mem"))
    #expect(!text.contains("--time"))
    #expect(!text.contains("--partition"))
    #expect(!text.contains("--variant"))
    #expect(text.contains("sweep run '/home/me/my spec.yaml' --dir"))
  }

  @Test func missingSbatchIsFoundMissingAndTheErrorSuggestsTheAlternatives() {
    #expect(SlurmSubmission.executable("sbatch", path: "/nonexistent-ujm-bin") == nil)
    #expect(SlurmSubmission.executable("sh", path: "/nonexistent-ujm-bin:/bin") == "/bin/sh")
    let message = SlurmError.noSbatch.description
    #expect(message.contains("ujm sweep local") && message.contains("--dry-run"))
  }
}
