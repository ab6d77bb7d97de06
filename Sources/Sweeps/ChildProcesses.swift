// Goals, in order of priority: a Ctrl-C, `kill` (SIGTERM) or hang-up of `sweep run` or
// `sweep local` stops every `ujm` it started, so that no training goes on unseen and holds a run's
// lock; a run stopped so is left resumable, never recorded as failed; a parent killed with
// SIGKILL, which no handler sees, takes its children with it.

import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// The `ujm` processes this process started, and the termination signals it forwards to them.
///
/// - A parent calls `forwardTerminationSignals()` once: SIGINT, SIGTERM and SIGHUP are then
///   caught (not fatal to it) and sent on to every registered child; `interruption` says which
///   arrived, so that the parent can stop starting work, wait for its children and exit
///   128 + signal. A child still alive after `grace` seconds gets SIGKILL.
/// - A child started with `environment(for:)` knows its parent's pid (`UJM_PARENT_PID`);
///   `adoptParent()` at its start restores the default action of those signals and exits with
///   SIGTERM as soon as it is orphaned (its parent killed with SIGKILL), checking every half
///   second.
public final class ChildProcesses: @unchecked Sendable {
  public static let shared = ChildProcesses()

  /// The environment variable that tells a child its parent's pid.
  public static let parentVariable = "UJM_PARENT_PID"

  private let lock = NSLock()
  private var pids: Set<Int32> = []
  private var received: Int32 = 0
  private var sources: [DispatchSourceSignal] = []
  private let queue = DispatchQueue(label: "ujm.signals")

  /// The signals that stop a sweep.
  static let terminationSignals = [SIGINT, SIGTERM, SIGHUP]

  /// The signal that interrupted this process, or nil.
  public var interruption: Int32? {
    lock.withLock { received == 0 ? nil : received }
  }

  /// `environment` (this process's when nil) with `UJM_PARENT_PID` set to this process.
  public static func environment(_ environment: [String: String]?) -> [String: String] {
    var env = environment ?? ProcessInfo.processInfo.environment
    env[parentVariable] = String(getpid())
    return env
  }

  /// Catches SIGINT, SIGTERM and SIGHUP from now on and forwards each to every registered
  /// child; SIGKILL follows after `grace` seconds for a child that is still alive.
  public func forwardTerminationSignals(grace: Double = 30) {
    lock.withLock {
      guard sources.isEmpty else { return }
      for number in Self.terminationSignals {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
        source.setEventHandler { [unowned self] in self.received(number, grace: grace) }
        source.resume()
        sources.append(source)
      }
    }
  }

  private func received(_ number: Int32, grace: Double) {
    let children = lock.withLock {
      if received == 0 { received = number }
      return pids
    }
    for pid in children { kill(pid, number) }
    queue.asyncAfter(deadline: .now() + grace) { [unowned self] in
      for pid in lock.withLock({ pids }) { kill(pid, SIGKILL) }
    }
  }

  /// Records a child that was just started; one started after a signal arrived gets it at once.
  public func register(_ pid: Int32) {
    let signal = lock.withLock {
      pids.insert(pid)
      return received
    }
    if signal != 0 { kill(pid, signal) }
  }

  /// Forgets a child that has exited.
  public func unregister(_ pid: Int32) {
    _ = lock.withLock { pids.remove(pid) }
  }

  /// At the start of a `ujm` that a sweep started (`UJM_PARENT_PID` set): the default action
  /// for SIGINT, SIGTERM and SIGHUP (the parent ignores them while it forwards them, and an
  /// ignored signal stays ignored across `exec`), and an exit by SIGTERM once orphaned.
  public static func adoptParent() {
    guard let text = ProcessInfo.processInfo.environment[parentVariable],
      let parent = Int32(text)
    else { return }
    for number in terminationSignals { signal(number, SIG_DFL) }
    let watch = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "ujm.orphan"))
    watch.schedule(deadline: .now(), repeating: 0.5)
    watch.setEventHandler {
      if getppid() != parent { kill(getpid(), SIGTERM) }
    }
    watch.resume()
    orphanWatch = watch
  }

  /// Keeps the orphan watch alive for the life of the process (set once, at its start).
  nonisolated(unsafe) private static var orphanWatch: DispatchSourceTimer?
}
