// Parse errors name the line and column where the text first goes wrong, whatever Node's message leaves out.
import { describe, expect, it } from "vitest";
import { jsonErrorPosition } from "../src/util/json-error-position.js";
import { canonicalJson, parseJsonText } from "../src/util/json-text.js";

describe("parseJsonText", () => {
  it.each([
    ['{ "features": [ oops', 1, 17, "Unexpected token 'o'"],
    ['{"a": 1,, }', 1, 9, "Expected double-quoted property name"],
    ['{\n  "a": tru }', 2, 11, "Unexpected token ' '"],
    ["[1,]", 1, 4, "Unexpected token ']'"],
    ['{"a": "x"}\n}', 2, 1, "Unexpected non-whitespace character after JSON"],
    ['{"a": 1', 1, 8, "Expected ',' or '}' after property value"],
  ])("%j: line %i, column %i", (text, line, column, message) => {
    expect(parseJsonText(text)).toEqual({ ok: false, problem: { line, column, message } });
  });

  it("agrees with JSON.parse on valid text", () => {
    for (const text of ['{"a": [1, -2.5e3, true, false, null, "x\\u00e9\\n"]}', "[]", "  0 ", '"s"']) {
      expect(jsonErrorPosition(text)).toBeUndefined();
      expect(parseJsonText(text)).toEqual({ ok: true, value: JSON.parse(text) });
    }
  });

  it("writes keys in a stable order with the usual ones first, and a trailing newline", () => {
    expect(canonicalJson({ z: 1, status: "x", id: "a", $schema: "s", b: { d: 1, c: 2 } })).toBe(
      '{\n  "$schema": "s",\n  "id": "a",\n  "status": "x",\n  "b": {\n    "c": 2,\n    "d": 1\n  },\n  "z": 1\n}\n',
    );
  });

  it("prints the same whatever order the keys come in, sorted parts kept as they are and unsorted ones nested inside them", () => {
    // As a write finds them: a parsed file already in order, one entry changed out of order deep inside, undefined
    // values (dropped), a "__proto__" key parsed as an ordinary key, and numeric keys (printed first, as JSON does).
    const parsed = JSON.parse('{"tasks": {"__proto__": {"status": "x"}, "a": {"status": "completed", "attempts": [{"at": "t", "outcome": "o"}], "usage": {"calls": 1}}}, "workers": {}}') as Record<string, any>;
    parsed.tasks.a.attempts[0].zeta = 1;
    parsed.tasks.a.attempts.push({ outcome: "p", at: "u", gone: undefined });
    parsed.tasks.b = { usage: { calls: 2 }, status: "in_progress", base: undefined };
    parsed.workers = { "10": { status: "idle" }, "9": { status: "busy" }, w: { status: "idle" } };
    const text = canonicalJson(parsed);
    expect(JSON.parse(text)).toEqual(JSON.parse(JSON.stringify(parsed)));
    expect(text.indexOf('"__proto__"')).toBeGreaterThan(0);
    expect(text.indexOf('"at": "u"')).toBeLessThan(text.indexOf('"outcome": "p"'));
    expect(text).not.toContain("gone");
    expect(text.indexOf('"status": "in_progress"')).toBeLessThan(text.indexOf('"usage": {\n        "calls": 2'));
    expect(text.indexOf('"9"')).toBeLessThan(text.indexOf('"10"'));
    // Printing what was printed changes nothing.
    expect(canonicalJson(JSON.parse(text))).toBe(text);
  });
});
