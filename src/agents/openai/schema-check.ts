// Checks a value against a user-given JSON Schema (draft 2020-12) with ajv: the model's structured answers and
// `finish` results. Local servers ignore `strict` structured output, so every answer is checked here.
import { createRequire } from "node:module";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type { FormatsPlugin } from "ajv-formats";
import type { ValidateFunction } from "ajv";

let ajv: Ajv2020 | undefined;

/** ajv and its formats, loaded on first use (CommonJS, ~100–200 ms): every CLI command imports this file. */
function makeAjv(): Ajv2020 {
  const require = createRequire(import.meta.url);
  const { Ajv2020: Ajv } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = (require("ajv-formats") as { default: FormatsPlugin }).default;
  const made = new Ajv({ allErrors: true, strict: false });
  addFormats(made);
  return made;
}
const compiled = new Map<string, ValidateFunction>();

/** Undefined when `value` matches `schema`, else the problems as one line a model can act on. Throws for a bad schema. */
export function schemaProblems(schema: Record<string, unknown>, value: unknown): string | undefined {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    ajv ??= makeAjv();
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (validate(value)) return undefined;
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath === "" ? "(the value)" : error.instancePath} ${error.message ?? "is invalid"}`)
    .join("; ");
}
