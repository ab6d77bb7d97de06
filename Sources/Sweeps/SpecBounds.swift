// Goals, in order of priority: no spec text can make the parser hang, exhaust memory or overflow
// the stack (an alias bomb, a deep nesting, an alias as a mapping key); every refusal names the
// line; the check is one pass over libyaml's events, linear in the text.

import CYaml
import Foundation

/// The bounds a spec's YAML must keep before it is composed into a tree.
///
/// Aliases are allowed (YAML's `&anchor`/`*alias`), but the document they expand to is counted:
/// at most `maximumNodes` nodes, each alias counting the whole node it names, so that a
/// "billion laughs" of nested aliases is refused after reading its few lines. Collections nest at
/// most `maximumDepth` deep, and a mapping key must be a plain scalar (a sequence, a mapping or
/// an alias as a key is refused: composing such keys hashes whole trees).
enum SpecBounds {
  /// The most nodes the document may hold with every alias expanded (a spec has a few hundred).
  static let maximumNodes = 100_000
  /// The deepest nesting of sequences and mappings (a spec nests four deep).
  static let maximumDepth = 32

  /// Checks `text`; a YAML syntax error is left for the composer to report.
  static func check(_ text: String) throws(SpecError) {
    var bytes = Array(text.utf8)
    var parser = yaml_parser_t()
    guard yaml_parser_initialize(&parser) == 1 else { return }
    defer { yaml_parser_delete(&parser) }
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING)
    var failure: SpecError? = nil
    bytes.withUnsafeMutableBufferPointer { buffer in
      yaml_parser_set_input_string(&parser, buffer.baseAddress, buffer.count)
      failure = scan(&parser)
    }
    if let failure { throw failure }
  }

  /// One open collection: its size so far, its anchor, and (for a mapping) whether the next
  /// node is a key.
  private struct Open {
    var isMapping: Bool
    var nextIsKey: Bool
    var size: Int
    var anchor: String?
  }

  private static func scan(_ parser: inout yaml_parser_t) -> SpecError? {
    var anchors: [String: Int] = [:]
    var stack: [Open] = []
    var total = 0
    while true {
      var event = yaml_event_t()
      guard yaml_parser_parse(&parser, &event) == 1 else { return nil }  // the composer reports it
      defer { yaml_event_delete(&event) }
      let line = Int(event.start_mark.line) + 1
      // A node that starts here is a key when the innermost open collection is a mapping
      // waiting for one.
      let isKey = stack.last.map { $0.isMapping && $0.nextIsKey } ?? false
      var finished: (size: Int, anchor: String?)? = nil
      switch event.type {
      case YAML_STREAM_END_EVENT:
        return nil
      case YAML_SCALAR_EVENT:
        finished = (1, name(event.data.scalar.anchor))
      case YAML_ALIAS_EVENT:
        if isKey {
          return SpecError(
            line: line, key: "", problem: "an alias as a mapping key is not allowed in a spec")
        }
        let anchor = name(event.data.alias.anchor) ?? ""
        finished = (anchors[anchor] ?? 1, nil)
      case YAML_SEQUENCE_START_EVENT, YAML_MAPPING_START_EVENT:
        if isKey {
          return SpecError(
            line: line, key: "",
            problem: "a mapping key must be a plain word, not a sequence or a mapping")
        }
        guard stack.count < maximumDepth else {
          return SpecError(
            line: line, key: "", problem: "nested more than \(maximumDepth) levels deep")
        }
        let isMapping = event.type == YAML_MAPPING_START_EVENT
        let anchor =
          isMapping
          ? name(event.data.mapping_start.anchor) : name(event.data.sequence_start.anchor)
        stack.append(Open(isMapping: isMapping, nextIsKey: true, size: 1, anchor: anchor))
      case YAML_SEQUENCE_END_EVENT, YAML_MAPPING_END_EVENT:
        if let closed = stack.popLast() { finished = (closed.size, closed.anchor) }
      default:
        break  // stream, document start and end
      }
      guard let (size, anchor) = finished else { continue }
      if let anchor { anchors[anchor] = size }
      if stack.isEmpty {
        total = saturatingAdd(total, size)
      } else {
        stack[stack.count - 1].size = saturatingAdd(stack[stack.count - 1].size, size)
        if stack[stack.count - 1].isMapping { stack[stack.count - 1].nextIsKey.toggle() }
      }
      let open = stack.reduce(0) { saturatingAdd($0, $1.size) }
      if saturatingAdd(total, open) > maximumNodes {
        return SpecError(
          line: line, key: "",
          problem: "the document expands to more than \(maximumNodes) nodes (aliases counted "
            + "in full); a spec needs a few hundred")
      }
    }
  }

  private static func saturatingAdd(_ a: Int, _ b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? Int.max : min(sum, Int.max / 2)
  }

  private static func name(_ pointer: UnsafeMutablePointer<yaml_char_t>?) -> String? {
    pointer.map { String(cString: $0) }
  }
}
