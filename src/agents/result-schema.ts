// Checks a subtask's structured result against its `result_schema` (JSON Schema 2020-12, the user's own).
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js";
import addFormatsModule, { type FormatsPlugin } from "ajv-formats";

// ajv-formats is CommonJS with `exports.default`; under NodeNext its default import is the module object.
const addFormats = (addFormatsModule as unknown as { default: FormatsPlugin }).default;

export type ResultCheck = { ok: true } | { ok: false; errors: string[]; badSchema: boolean };

/** strict: false, because strict mode refuses valid user schemas (unknown keywords, formats); never $data. */
const ajv = new Ajv2020({ allErrors: true, strict: false });
addFormats(ajv);

/** Compiled schemas by their JSON text: a worker checks many results against the few schemas of a plan. */
const compiled = new Map<string, ValidateFunction | { error: string }>();
const MAX_CACHED = 256;

function validatorOf(schema: Record<string, unknown>): ValidateFunction | { error: string } {
  const key = JSON.stringify(schema);
  const cached = compiled.get(key);
  if (cached) return cached;
  let made: ValidateFunction | { error: string };
  try {
    made = ajv.compile(schema);
  } catch (error: unknown) {
    made = { error: error instanceof Error ? error.message : String(error) };
  }
  if (compiled.size >= MAX_CACHED) compiled.clear();
  compiled.set(key, made);
  return made;
}

/** Whether `value` matches `schema`; the errors read `<path>: <message>`, fit to send back to a model or a person. */
export function checkResult(schema: Record<string, unknown>, value: unknown): ResultCheck {
  const validate = validatorOf(schema);
  if ("error" in validate) return { ok: false, errors: [`result_schema is not a valid JSON Schema: ${validate.error}`], badSchema: true };
  if (validate(value)) return { ok: true };
  const errors = (validate.errors ?? []).map((error) => `${error.instancePath === "" ? "(the result)" : error.instancePath}: ${error.message ?? "is invalid"}`);
  return { ok: false, errors: errors.length > 0 ? errors : ["(the result): does not match"], badSchema: false };
}

/** A problem with a schema itself, for `codex-lead validate`; undefined when it compiles. */
export function schemaProblem(schema: Record<string, unknown>): string | undefined {
  const validate = validatorOf(schema);
  return "error" in validate ? validate.error : undefined;
}
