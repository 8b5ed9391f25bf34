// Writes the JSON Schema files (schemas/*.schema.json) generated from the zod schemas in dist/.
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { z } from "zod";
import { ConfigFile, FeaturesFile, InboxFile, ProgressFile, EventLine } from "../dist/schema/index.js";

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const out = path.join(root, "schemas");
mkdirSync(out, { recursive: true });
const files = { features: FeaturesFile, progress: ProgressFile, config: ConfigFile, inbox: InboxFile, event: EventLine };
for (const [name, schema] of Object.entries(files)) {
  const json = z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
  json.title = `codex-crew ${name}`;
  writeFileSync(path.join(out, `${name}.schema.json`), `${JSON.stringify(json, null, 2)}\n`);
}
