// Secrets of the environment kept out of what we write down: the value of every variable whose name says it
// holds a secret (*_KEY, *_TOKEN, *_SECRET, *PASSWORD*, …) is replaced by *** in stderr tails, reasons,
// events and logs. Short values are left alone: replacing "1" or "true" everywhere would garble the text.

/** Names of variables holding secrets. */
const SECRET_NAME = /(?:^|_)(?:[A-Z0-9]*KEY|[A-Z0-9]*TOKEN|SECRETS?|PAT|CREDENTIALS?|AUTH)$|PASSWORD|PASSWD|PASSPHRASE|SECRET/i;

/** Values shorter than this are not treated as secrets. */
export const MIN_SECRET_LENGTH = 8;

export const REDACTED = "***";

let cached: { env: NodeJS.ProcessEnv; snapshot: string; values: string[] } | undefined;

/** Whether a variable's name marks its value as a secret. */
export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

/** The secret values of `env`, longest first (so a secret containing another is replaced whole). */
export function secretValues(env: NodeJS.ProcessEnv = process.env): string[] {
  const names = Object.keys(env).filter(isSecretName);
  const snapshot = names.map((name) => `${name}=${env[name] ?? ""}`).join("\0");
  if (cached && cached.env === env && cached.snapshot === snapshot) return cached.values;
  const values = [...new Set(names.map((name) => env[name] ?? "").filter((value) => value.length >= MIN_SECRET_LENGTH))];
  values.sort((a, b) => b.length - a.length);
  cached = { env, snapshot, values };
  return values;
}

/** `text` with every secret value of the environment replaced by ***. */
export function redactSecrets(text: string, env: NodeJS.ProcessEnv = process.env): string {
  let out = text;
  for (const value of secretValues(env)) if (out.includes(value)) out = out.split(value).join(REDACTED);
  return out;
}
