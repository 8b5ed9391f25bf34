// The content of a .codex/ file that does not exist yet, apart from the zod schemas (see statuses.ts).
import type { ProgressFile } from "./progress.js";

export function emptyProgress(): ProgressFile {
  return { $schema: "./schemas/progress.schema.json", tasks: {}, workers: {} };
}
