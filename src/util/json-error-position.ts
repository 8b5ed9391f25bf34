// Where JSON text first goes wrong. Node 20's JSON.parse leaves the position out of its "Unexpected token"
// messages, so this small validating scanner finds it, for a message that can name line and column.

const WHITESPACE = new Set([" ", "\t", "\n", "\r"]);

class Stop extends Error {
  constructor(readonly position: number) {
    super("stop");
  }
}

/** The index of the first character that makes `text` invalid JSON, or undefined when it is valid. */
export function jsonErrorPosition(text: string): number | undefined {
  let i = 0;
  const fail = (at = i): never => {
    throw new Stop(at);
  };
  const skip = () => {
    while (i < text.length && WHITESPACE.has(text[i] ?? "")) i++;
  };
  const literal = (word: string) => {
    for (const char of word) {
      if (text[i] !== char) fail();
      i++;
    }
  };
  const string = () => {
    i++; // opening quote
    while (i < text.length) {
      const char = text[i] ?? "";
      if (char === '"') {
        i++;
        return;
      }
      if (char === "\\") {
        const escape = text[i + 1] ?? "";
        if (escape === "u") {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail(i + 2);
          i += 6;
        } else if ('"\\/bfnrt'.includes(escape) && escape !== "") i += 2;
        else fail(i + 1);
        continue;
      }
      if (char < " ") fail();
      i++;
    }
    fail();
  };
  const number = () => {
    const match = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!match || match[0] === "" || match[0] === "-") fail();
    i += match?.[0].length ?? 0;
  };
  const value = (): void => {
    skip();
    const char = text[i];
    if (char === "{") {
      i++;
      skip();
      if (text[i] === "}") {
        i++;
        return;
      }
      for (;;) {
        skip();
        if (text[i] !== '"') fail();
        string();
        skip();
        if (text[i] !== ":") fail();
        i++;
        value();
        skip();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "}") {
          i++;
          return;
        }
        fail();
      }
    }
    if (char === "[") {
      i++;
      skip();
      if (text[i] === "]") {
        i++;
        return;
      }
      for (;;) {
        value();
        skip();
        if (text[i] === ",") {
          i++;
          continue;
        }
        if (text[i] === "]") {
          i++;
          return;
        }
        fail();
      }
    }
    if (char === '"') return string();
    if (char === "t") return literal("true");
    if (char === "f") return literal("false");
    if (char === "n") return literal("null");
    if (char === "-" || (char !== undefined && char >= "0" && char <= "9")) return number();
    fail();
  };
  try {
    value();
    skip();
    if (i < text.length) fail();
    return undefined;
  } catch (error: unknown) {
    if (error instanceof Stop) return error.position;
    throw error;
  }
}
