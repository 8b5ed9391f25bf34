// Precompiled checks of the hot files, generated at build time (scripts/gen-schemas.js) by ajv from the JSON
// Schema that zod itself writes for the same schema (schemas/*.schema.json). A 10,000-task progress.json is
// checked in about half the time zod takes, and without loading zod at all (50 ms of a command's start).
// zod stays the authority: a value the fast check refuses is checked again by zod, which words the problem.
// So the schemas checked this way must keep every rule expressible in JSON Schema (no refine, no transform).

export type FastCheck = (value: unknown) => boolean;
export type FastCheckedFile = "progress" | "inbox";

const loaded = new Map<FastCheckedFile, Promise<FastCheck | undefined>>();

/** The generated check, or undefined when it was not generated (then zod checks everything). */
export function fastCheck(name: FastCheckedFile): Promise<FastCheck | undefined> {
  let found = loaded.get(name);
  if (!found) {
    found = import(`./generated/${name}-check.js`).then(
      (module: { default: FastCheck }) => module.default,
      () => undefined,
    );
    loaded.set(name, found);
  }
  return found;
}
