// Checks a value against a user-given JSON Schema (draft 2020-12) with ajv: the model's structured answers and
// `finish` results. Local servers ignore `strict` structured output, so every answer is checked here.
import { Ajv2020 } from "ajv/dist/2020.js";
import formatsModule, { type FormatsPlugin } from "ajv-formats";
import type { ValidateFunction } from "ajv";

// ajv-formats is CommonJS: under NodeNext its plugin arrives as the default export's `default`.
const addFormats = (formatsModule as unknown as { default: FormatsPlugin }).default;

let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/** Undefined when `value` matches `schema`, else the problems as one line a model can act on. Throws for a bad schema. */
export function schemaProblems(schema: Record<string, unknown>, value: unknown): string | undefined {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (validate === undefined) {
    if (ajv === undefined) {
      ajv = new Ajv2020({ allErrors: true, strict: false });
      addFormats(ajv);
    }
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  if (validate(value)) return undefined;
  return (validate.errors ?? [])
    .map((error) => `${error.instancePath === "" ? "(the value)" : error.instancePath} ${error.message ?? "is invalid"}`)
    .join("; ");
}
