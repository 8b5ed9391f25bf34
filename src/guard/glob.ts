// A small glob matcher for repository paths (Node 20's path.matchesGlob is experimental and warns on stderr).
// `**` any number of whole segments, `*` any run within a segment, `?` one character, `{a,b}` alternatives,
// `[abc]` a class; a pattern ending in `/`, or naming a folder, also covers everything under it.

const cache = new Map<string, RegExp>();

function escapeChar(ch: string): string {
  return /[\\^$.*+?()[\]{}|/]/.test(ch) ? `\\${ch}` : ch;
}

function translate(glob: string): string {
  let out = "";
  for (let i = 0; i < glob.length; i++) {
    const ch = glob[i] as string;
    if (ch === "*") {
      if (glob[i + 1] === "*") {
        const atStart = i === 0 || glob[i - 1] === "/";
        const atEnd = i + 2 === glob.length || glob[i + 2] === "/";
        if (atStart && atEnd) {
          // "**/" matches zero or more whole segments; a trailing "**" anything below.
          if (glob[i + 2] === "/") {
            out += "(?:[^/]+/)*";
            i += 2;
          } else {
            out += ".*";
            i += 1;
          }
          continue;
        }
        i += 1;
      }
      out += "[^/]*";
    } else if (ch === "?") out += "[^/]";
    else if (ch === "[") {
      const close = glob.indexOf("]", i + 2);
      if (close === -1) out += "\\[";
      else {
        const body = glob.slice(i + 1, close).replace(/^!/, "^").replace(/\\/g, "\\\\");
        out += `[${body}]`;
        i = close;
      }
    } else if (ch === "{") {
      const close = glob.indexOf("}", i);
      if (close === -1) out += "\\{";
      else {
        out += `(?:${glob.slice(i + 1, close).split(",").map(translate).join("|")})`;
        i = close;
      }
    } else out += escapeChar(ch);
  }
  return out;
}

function regexOf(glob: string): RegExp {
  let found = cache.get(glob);
  if (!found) {
    const body = translate(glob.replace(/^\.\//, "").replace(/\/+$/, ""));
    // The pattern itself, or (as a folder) anything under it.
    found = new RegExp(`^${body}(?:/.*)?$`);
    cache.set(glob, found);
  }
  return found;
}

/** True when the repository-relative `file` (with `/` separators) matches `glob`. */
export function matchesGlob(file: string, glob: string): boolean {
  return regexOf(glob).test(file);
}

export function matchesAny(file: string, globs: readonly string[]): boolean {
  return globs.some((glob) => matchesGlob(file, glob));
}
