// A job's instruction: text with {column} placeholders filled from each row; {{ and }} write literal braces.
import { UsageError } from "../errors.js";

type Piece = { text: string } | { column: number };

export interface Template {
  /** The column indexes the template uses, in order of first use. */
  columns: number[];
  render(values: readonly string[]): string;
}

/** Parses the template against the CSV's columns; throws a UsageError naming the place and listing the columns. */
export function compileTemplate(template: string, columns: readonly string[]): Template {
  if (template.trim() === "") throw new UsageError("--instruction is empty", 'Give the instruction for one row, e.g. --instruction "Summarise {title}".');
  const index = new Map(columns.map((name, i) => [name, i]));
  const listed = columns.map((name) => JSON.stringify(name)).join(", ");
  const pieces: Piece[] = [];
  let text = "";
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    const next = template[i + 1];
    if ((char === "{" && next === "{") || (char === "}" && next === "}")) {
      text += char;
      i++;
      continue;
    }
    if (char === "}") {
      throw new UsageError(`--instruction: a single "}" at character ${i + 1}`, 'Write "}}" for a literal brace, or {column} for a placeholder.');
    }
    if (char !== "{") {
      text += char;
      continue;
    }
    const end = template.indexOf("}", i + 1);
    const open = template.indexOf("{", i + 1);
    if (end === -1 || (open !== -1 && open < end)) {
      throw new UsageError(`--instruction: "{" at character ${i + 1} is not closed`, 'Write "{{" for a literal brace, or {column} for a placeholder.');
    }
    const name = template.slice(i + 1, end);
    const column = index.get(name);
    if (column === undefined) {
      throw new UsageError(`--instruction: {${name}} names no column of the CSV; its columns are ${listed}`, 'Use one of the columns, or write "{{" and "}}" for literal braces.');
    }
    if (text) pieces.push({ text });
    text = "";
    pieces.push({ column });
    i = end;
  }
  if (text) pieces.push({ text });
  const used: number[] = [];
  for (const piece of pieces) if ("column" in piece && !used.includes(piece.column)) used.push(piece.column);
  return {
    columns: used,
    // Plain concatenation: a value is data in the prompt, never parsed again (a "{x}" inside a cell stays as it is).
    render: (values) => pieces.map((piece) => ("text" in piece ? piece.text : (values[piece.column] ?? ""))).join(""),
  };
}
