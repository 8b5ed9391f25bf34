// The `openai` SDK, loaded on first use: importing it takes 100–300 ms, which every CLI command and every worker
// would otherwise pay at start whether or not it ever calls a model. Loaded once, as CommonJS, so every
// `instanceof` check here sees the same classes.
import { createRequire } from "node:module";

export type Sdk = typeof import("openai");

let loaded: Sdk | undefined;

export function sdk(): Sdk {
  loaded ??= createRequire(import.meta.url)("openai") as Sdk;
  return loaded;
}
