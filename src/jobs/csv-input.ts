// A job's input CSV, read whole and checked before any row becomes a subtask: strict parsing (quotes, column
// counts), one header row with unique, non-empty names; every problem names the file and its line.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { parse, CsvError } from "csv-parse/sync";
import { CodexError, ExitCode, errnoCode } from "../errors.js";

export interface CsvRow {
  /** 1 for the first row after the header. */
  row: number;
  /** The file line the row starts on (a quoted cell may span lines). */
  line: number;
  values: string[];
}

export interface CsvTable {
  columns: string[];
  rows: CsvRow[];
  /** sha256 of the file's bytes, hex: what a resume compares. */
  sha256: string;
}

export class CsvInputError extends CodexError {
  constructor(file: string, message: string, hint: string, details: string[] = []) {
    super("E_CSV", `${file}: ${message}`, { hint, details, exitCode: ExitCode.usage });
    this.name = "CsvInputError";
  }
}

const FIX_HINT = "Fix the CSV (a spreadsheet's \"save as CSV\" quotes cells correctly), then run the command again.";

export function sha256Of(bytes: Buffer | string): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Reads and checks the whole file; throws CsvInputError (exit 2) naming the line of the first problem. */
export function readCsvFile(file: string, shownAs: string = file): CsvTable {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error: unknown) {
    const code = errnoCode(error);
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "is a folder, not a file" : `cannot be read (${code ?? String(error)})`;
    throw new CsvInputError(shownAs, why, "Pass the path of the input CSV to --csv.");
  }
  return parseCsv(bytes, shownAs);
}

export function parseCsv(bytes: Buffer, shownAs: string): CsvTable {
  let records: { record: string[]; info: { lines: number }; raw: string }[];
  try {
    // Arrays, not objects: a header such as "__proto__" stays a plain value, and 10,000 rows cost no key maps.
    // Strict: no relax_quotes / relax_column_count, which drop or swallow rows. Lines with nothing on them are
    // skipped (a file's trailing blank line); a line with only commas is a row of empty cells.
    records = parse(bytes, { bom: true, info: true, raw: true, skip_empty_lines: true }) as unknown as typeof records;
  } catch (error: unknown) {
    if (error instanceof CsvError) throw new CsvInputError(shownAs, csvErrorText(error), FIX_HINT);
    throw error;
  }
  const [header, ...body] = records;
  if (!header) throw new CsvInputError(shownAs, "is empty: expected a header row and at least one row", FIX_HINT);
  const columns = header.record;
  const problems = headerProblems(columns);
  if (problems.length > 0) {
    throw new CsvInputError(shownAs, `line ${startLine(header)}: ${problems[0]}`, "Give every column a distinct, non-empty name in the header row.", problems.slice(1));
  }
  if (body.length === 0) throw new CsvInputError(shownAs, "has a header row but no rows", FIX_HINT);
  const rows = body.map((record, index) => ({ row: index + 1, line: startLine(record), values: record.record }));
  return { columns, rows, sha256: sha256Of(bytes) };
}

/** csv-parse's message names the line already ("… on line 3"); its code is kept for scripts. */
function csvErrorText(error: CsvError): string {
  return `${error.message.replace(/\s+$/, "")} (${error.code})`;
}

function headerProblems(columns: string[]): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  columns.forEach((name, index) => {
    const position = `column ${index + 1}`;
    if (name.trim() === "") problems.push(`${position} has an empty name in the header row`);
    const first = seen.get(name);
    if (first !== undefined) problems.push(`duplicate column name ${JSON.stringify(name)} in the header row (columns ${first + 1} and ${index + 1})`);
    else seen.set(name, index);
  });
  return problems;
}

/** csv-parse counts the line a record ends on; a quoted cell with newlines starts it earlier. */
function startLine(record: { info: { lines: number }; raw: string }): number {
  const inner = record.raw.replace(/(\r\n|\n|\r)$/, "");
  const breaks = inner.match(/\r\n|\n|\r/g)?.length ?? 0;
  return record.info.lines - breaks;
}
