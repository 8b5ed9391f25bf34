// Checks a value against a user-given JSON Schema (draft 2020-12) with ajv: the model's structured answers and
// `finish` results. Local servers ignore `strict` structured output, so every answer is checked here.
import { createRequire } from "node:module";
import type { Ajv2020 } from "ajv/dist/2020.js";
import type { FormatsPlugin } from "ajv-formats";
import type { ValidateFunction } from "ajv";

const META_SCHEMA = "https://json-schema.org/draft/2020-12/schema";

interface Checker {
  ajv: Ajv2020;
  /** The draft 2020-12 meta-schema, precompiled by scripts/gen-schemas.js with the same options as `ajv`; undefined
   * where it was not generated (sources run directly): then ajv compiles the meta-schema itself. */
  metaCheck: ValidateFunction | undefined;
}
let checker: Checker | undefined;

/**
 * ajv and its formats, loaded on first use (CommonJS, ~100–200 ms): every CLI command imports this file. Schemas are
 * checked against the precompiled meta-schema rather than by ajv's own (compiling the meta-schema cost each worker
 * about a second of CPU, at a job's start when all of them do it at once); the errors are ajv's, worded as ajv does.
 */
function makeChecker(): Checker {
  const require = createRequire(import.meta.url);
  const { Ajv2020: Ajv } = require("ajv/dist/2020.js") as typeof import("ajv/dist/2020.js");
  const addFormats = (require("ajv-formats") as { default: FormatsPlugin }).default;
  const made = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  addFormats(made);
  let metaCheck: ValidateFunction | undefined;
  try {
    metaCheck = require("../../schema/generated/json-schema-meta-check.cjs") as ValidateFunction;
  } catch {
    metaCheck = undefined;
  }
  return { ajv: made, metaCheck };
}
const compiled = new Map<string, ValidateFunction>();

function compile(schema: Record<string, unknown>): ValidateFunction {
  checker ??= makeChecker();
  const { ajv, metaCheck } = checker;
  // A schema naming another draft is checked by ajv itself (which knows no other, and says so).
  if (!metaCheck || (schema.$schema !== undefined && schema.$schema !== META_SCHEMA)) ajv.validateSchema(schema, true);
  else if (!metaCheck(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(metaCheck.errors)}`);
  return ajv.compile(schema);
}

/** Undefined when `value` matches `schema`, else the problems as one line a model can act on. Throws for a bad schema. */
export function schemaProblems(schema: Record<string, unknown>, value: unknown): string | undefined {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    validate = compile(schema);
    compiled.set(key, validate);
  }
  if (validate(value)) return undefined;
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath === "" ? "(the value)" : error.instancePath} ${error.message ?? "is invalid"}`)
    .join("; ");
}
