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
});
