// The subtask id of each row: `<prefix><row number>`, or `<prefix><value of --id-column>` checked to be a
// safe, unique id — or, with --dedupe, made so deterministically, each change reported.
import { CodexError, ExitCode } from "../errors.js";
import { SAFE_ID_ADVICE, unsafeIdReasons } from "../plan/id-rules.js";
import type { CsvRow, CsvTable } from "./csv-input.js";

/** File names (inbox/<id>.json, notes/<id>.a<n>.txt) must stay under the usual 255-byte limit. */
export const MAX_ID_BYTES = 160;

export interface RowIdChange {
  row: number;
  line: number;
  value: string;
  id: string;
  why: string;
}

export interface RowIds {
  /** Subtask ids, one per row, in row order. */
  ids: string[];
  /** What --dedupe changed, in row order. */
  changes: RowIdChange[];
}

export interface RowIdOptions {
  /** Prepended to every id: `<job name>-`. */
  prefix: string;
  /** Index of the --id-column, if given. */
  column?: number | undefined;
  columnName?: string | undefined;
  dedupe?: boolean | undefined;
  /** For messages: the CSV as shown to the person. */
  file: string;
}

function problemsOf(id: string): string[] {
  const reasons = unsafeIdReasons(id);
  if (Buffer.byteLength(id) > MAX_ID_BYTES) reasons.push(`is longer than ${MAX_ID_BYTES} bytes`);
  return reasons;
}

/** Replaces what makes a value unsafe: path separators, whitespace, git's reserved characters, leading dots. */
function sanitize(value: string): string {
  let id = value
    .replace(/[\u0000-\u001f\u007f\s/\\~^:?*[\]@{}]+/g, "_")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+/, "")
    .replace(/\.lock$/, "_lock")
    .replace(/\.+$/, "");
  while (Buffer.byteLength(id) > MAX_ID_BYTES - 16) id = id.slice(0, -1);
  return id;
}

export function rowIds(rows: readonly CsvRow[], options: RowIdOptions): RowIds {
  const { prefix, column } = options;
  if (column === undefined) return { ids: rows.map((row) => `${prefix}${row.row}`), changes: [] };
  const ids: string[] = [];
  const changes: RowIdChange[] = [];
  const problems: string[] = [];
  const firstLine = new Map<string, number>();
  /** Id -> the line whose row got it. */
  const taken = new Map<string, number>();
  for (const row of rows) {
    const value = row.values[column] ?? "";
    const wanted = `${prefix}${value}`;
    const unsafe = value === "" ? ["is empty"] : problemsOf(wanted);
    const seenAt = firstLine.get(wanted);
    if (!options.dedupe) {
      if (unsafe.length > 0) {
        const subject = value === "" ? `${options.columnName} is empty` : `${options.columnName} ${JSON.stringify(value)} gives the id ${JSON.stringify(wanted)}, which ${unsafe.join(", ")}`;
        problems.push(`line ${row.line} (row ${row.row}): ${subject}`);
      } else if (seenAt !== undefined) {
        problems.push(`line ${row.line} (row ${row.row}): ${options.columnName} ${JSON.stringify(value)} repeats the one on line ${seenAt}`);
      } else firstLine.set(wanted, row.line);
      ids.push(wanted);
      continue;
    }
    let base = unsafe.length > 0 ? `${prefix}${sanitize(value) || `row${row.row}`}` : wanted;
    if (problemsOf(base).length > 0) base = `${prefix}row${row.row}`;
    // A repeat takes its row number; should that be taken too (a later value equal to an earlier made-up id), a counter.
    let id = base;
    if (taken.has(id)) id = `${base}-${row.row}`;
    for (let k = 2; taken.has(id); k++) id = `${base}-${row.row}-${k}`;
    const holder = taken.get(wanted);
    taken.set(id, row.line);
    if (id !== wanted) {
      const why =
        unsafe.length > 0 ? `value ${unsafe.join(", ")}` : seenAt !== undefined ? `repeats the value of line ${seenAt}` : `the id ${wanted} was already given to line ${holder ?? "?"}`;
      changes.push({ row: row.row, line: row.line, value, id, why });
    }
    if (seenAt === undefined) firstLine.set(wanted, row.line);
    ids.push(id);
  }
  if (problems.length > 0) {
    throw new CodexError("E_CSV_IDS", `${options.file}: ${problems.length} row${problems.length === 1 ? "" : "s"} without a usable id in column ${JSON.stringify(options.columnName)}: ${problems[0]}`, {
      details: problems.slice(1, 20).concat(problems.length > 20 ? [`… and ${problems.length - 20} more`] : []),
      hint: `Ids name files and git refs: give each row a distinct value (${SAFE_ID_ADVICE}), pass --dedupe to make them unique, or leave out --id-column to use row numbers.`,
      exitCode: ExitCode.usage,
    });
  }
  return { ids, changes };
}

/** A job's ids follow from its settings and input: one computation for creating, resuming and exporting. */
export function jobRowIds(
  job: { id_prefix: string; id_column: string | null; dedupe: boolean; columns: string[] },
  table: CsvTable,
  shownAs: string,
): RowIds {
  const column = job.id_column === null ? undefined : job.columns.indexOf(job.id_column);
  return rowIds(table.rows, { prefix: job.id_prefix, column, columnName: job.id_column ?? undefined, dedupe: job.dedupe, file: shownAs });
}
