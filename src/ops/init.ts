// `codex-lead init`: creates .codex/ with its files. Idempotent: a file that exists is kept exactly as it is.
import { randomBytes } from "node:crypto";
import { link, lstat, mkdir, readFile, readdir, stat, unlink, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { errnoCode, UsageError } from "../errors.js";
import { emptyProgress } from "../schema/empty-files.js";
import { codexPaths } from "../store/paths.js";
import { assertNoSymlink } from "../store/safe-path.js";
import { canonicalJson } from "../util/json-text.js";

export interface InitOptions {
  /** Also copy the runnable offline example (.codex-example/ of the package). */
  example?: boolean;
  /** Also write a CI workflow: "github" writes .github/workflows/codex-crew.yml. */
  ci?: "github";
}

export interface InitResult {
  /** Paths relative to the repository root; directories end with "/". */
  created: string[];
  kept: string[];
}

/** The package's root: this module is src/ops/init.ts or dist/ops/init.js, two levels down. */
const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..");
export const packageSchemasDir = path.join(packageRoot, "schemas");
export const packageExampleDir = path.join(packageRoot, ".codex-example");

/** Every setting with its default written out, so a person sees what there is to change. */
// The files init copies live in the package's templates/ folder (gitignore without its dot: npm drops dotfiles).
export const packageTemplatesDir = path.join(packageRoot, "templates");

function template(name: string): string {
  return readFileSync(path.join(packageTemplatesDir, name), "utf8");
}

/** .codex/.gitignore: features.json and config.json are a person's and get committed; the rest is state of a run. */
export const CODEX_GITIGNORE = template("gitignore");

export async function initRepo(root: string, options: InitOptions = {}): Promise<InitResult> {
  const paths = codexPaths(root);
  const result: InitResult = { created: [], kept: [] };
  const note = (file: string, created: boolean, isDir = false): void => {
    const shown = path.relative(root, file).split(path.sep).join("/") + (isDir ? "/" : "");
    // A file the example just created is not "kept" when the default for it is then skipped.
    if (result.created.includes(shown) || result.kept.includes(shown)) return;
    (created ? result.created : result.kept).push(shown);
  };
  // Never through a link: whatever it points at is not ours to fill (a file already there is kept, link or not).
  for (const dir of [paths.dir, paths.inboxDir, paths.schemas]) assertNoSymlink(paths.dir, dir, "create");
  for (const dir of [paths.dir, paths.inboxDir, paths.schemas]) note(dir, await makeDir(dir), true);
  for (const name of (await readdir(packageSchemasDir)).filter((file) => file.endsWith(".schema.json")).sort()) {
    note(path.join(paths.schemas, name), await copyIfMissing(path.join(packageSchemasDir, name), path.join(paths.schemas, name)));
  }
  // The example goes first: its features.json and config.json take the place of the empty defaults.
  if (options.example) await copyExample(packageExampleDir, root, paths.dir, note);
  note(paths.config, await createExclusive(paths.config, template("config.json")));
  note(paths.features, await createExclusive(paths.features, template("features.json")));
  note(paths.progress, await createExclusive(paths.progress, canonicalJson(emptyProgress())));
  note(paths.gitignore, await createExclusive(paths.gitignore, CODEX_GITIGNORE));
  if (options.ci === "github") {
    const file = await workflowPath(root);
    note(file, await createExclusive(file, githubWorkflow()));
  }
  return result;
}

/** The workflow for GitHub Actions, installing this package's own version. */
export function githubWorkflow(): string {
  const pkg = JSON.parse(readFileSync(path.join(packageRoot, "package.json"), "utf8")) as { version?: unknown };
  return template("github-workflow.yml").replaceAll("__CODEX_CREW_VERSION__", typeof pkg.version === "string" ? pkg.version : "latest");
}

/** .github/workflows/codex-crew.yml, its folders made; a folder that is a symlink is refused (it may lead out of the repository). */
async function workflowPath(root: string): Promise<string> {
  let dir = root;
  for (const part of [".github", "workflows"]) {
    dir = path.join(dir, part);
    const info = await lstat(dir).catch((error: unknown) => {
      if (errnoCode(error) === "ENOENT") return undefined;
      throw error;
    });
    if (info?.isSymbolicLink()) throw new UsageError(`${path.relative(root, dir)} is a symbolic link: not writing the workflow through it`, "Make it a plain folder, or write the workflow by hand from the package's templates/github-workflow.yml.");
    if (!info) await mkdir(dir);
  }
  return path.join(dir, "codex-crew.yml");
}

/** .codex-example/*.json go into .codex/; every other entry (scripts/, …) into the repository root. */
async function copyExample(from: string, root: string, codexDir: string, note: (file: string, created: boolean, isDir?: boolean) => void): Promise<void> {
  let entries;
  try {
    entries = await readdir(from, { withFileTypes: true });
  } catch (error: unknown) {
    if (errnoCode(error) === "ENOENT") return;
    throw error;
  }
  for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const source = path.join(from, entry.name);
    if (entry.isFile() && entry.name.endsWith(".json")) {
      const target = path.join(codexDir, entry.name);
      note(target, await copyIfMissing(source, target));
    } else {
      await copyTree(source, path.join(root, entry.name), note);
    }
  }
}

async function copyTree(source: string, target: string, note: (file: string, created: boolean, isDir?: boolean) => void): Promise<void> {
  if (!(await stat(source)).isDirectory()) {
    note(target, await copyIfMissing(source, target));
    return;
  }
  note(target, await makeDir(target), true);
  for (const name of (await readdir(source)).sort()) await copyTree(path.join(source, name), path.join(target, name), note);
}

async function makeDir(dir: string): Promise<boolean> {
  try {
    await mkdir(dir);
    return true;
  } catch (error: unknown) {
    if (errnoCode(error) === "EEXIST") return false;
    if (errnoCode(error) === "ENOENT") return (await mkdir(dir, { recursive: true })) !== undefined;
    throw error;
  }
}

async function copyIfMissing(source: string, target: string): Promise<boolean> {
  const { mode } = await stat(source);
  return createExclusive(target, await readFile(source), mode);
}

/**
 * Writes `content` to `file` only if no file is there, atomically: a temp file beside it is
 * hard-linked into place (link fails if the name exists), so a person's file is never replaced
 * and a crash never leaves a half-written file under the real name.
 */
async function createExclusive(file: string, content: string | Uint8Array, mode = 0o644): Promise<boolean> {
  const temp = `${file}.${randomBytes(6).toString("hex")}.tmp`;
  await writeFile(temp, content, { mode: mode & 0o777 });
  try {
    await link(temp, file);
    return true;
  } catch (error: unknown) {
    if (errnoCode(error) === "EEXIST") return false;
    throw error;
  } finally {
    await unlink(temp);
  }
}
