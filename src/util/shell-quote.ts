// One word for sh, whatever it holds: single quotes, inside which sh interprets nothing, with each ' written '\''.
// (JSON.stringify gives double quotes, inside which sh still expands $(...), `...` and $VAR.)

export function shellQuote(value: string): string {
  return `'${value.replace(/'/g, "'\\''")}'`;
}
