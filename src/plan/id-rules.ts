// Why an id is unsafe as a file name (.codex/inbox/<id>.json) or a git ref name (codex/<id>, tags): one reason per broken rule.

/** Characters git refuses anywhere in a ref name (git check-ref-format), besides "/" and "\" handled as path separators. */
const REF_CHARS = ["~", "^", ":", "?", "*", "["] as const;

const CONTROL = /[\u0000-\u001f\u007f]/;

function show(char: string): string {
  return `"${char}"`;
}

/** Every reason `id` cannot be used, as short phrases ("contains a path separator "/""); empty when safe. */
export function unsafeIdReasons(id: string): string[] {
  if (id === "") return ["is empty"];
  const reasons: string[] = [];
  const separator = /[/\\]/.exec(id);
  if (separator) reasons.push(`contains a path separator ${show(separator[0])}`);
  if (id.includes("..")) reasons.push('contains ".."');
  if (CONTROL.test(id)) reasons.push("contains a control character");
  // Control characters such as tab also match \s; report them once, as control characters.
  if (/\s/.test(id.replace(new RegExp(CONTROL, "g"), ""))) reasons.push("contains whitespace");
  if (id.startsWith("-")) reasons.push('starts with "-" (it would be read as a command-line option)');
  if (id.startsWith(".")) reasons.push('starts with "." (hidden file; git refuses it in ref names)');
  if (id.endsWith(".lock")) reasons.push('ends with ".lock" (git and our lock files reserve it)');
  else if (id.endsWith(".")) reasons.push('ends with "." (git refuses it in ref names)');
  const refused: string[] = REF_CHARS.filter((char) => id.includes(char));
  if (id.includes("@{")) refused.push("@{");
  if (refused.length > 0) {
    reasons.push(`contains ${refused.map(show).join(", ")} (git refuses ${refused.length === 1 ? "it" : "them"} in ref names)`);
  }
  if (id === "@") reasons.push('is "@" (git refuses it as a ref name)');
  return reasons;
}

export const SAFE_ID_ADVICE = 'use letters, digits, "-", "_" and "."';
