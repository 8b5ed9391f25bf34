// Collects a child's output stream: the last few KB for messages, and whole lines for a live listener.
/** Default longest line handed over whole; a longer one comes in pieces of this size. */
export const MAX_LINE_CHARS = 64 * 1024;

export class OutputTail {
  private tailText = "";
  private pending = "";

  constructor(
    private readonly limit: number,
    private readonly onLine: ((line: string) => void) | undefined,
    private readonly maxLine: number = MAX_LINE_CHARS,
  ) {}

  push(chunk: string): void {
    this.tailText += chunk;
    if (this.tailText.length > this.limit * 2) this.tailText = this.tailText.slice(-this.limit);
    if (this.onLine === undefined) return;
    // Only the new chunk can hold a line break: a long line is not scanned again at every chunk.
    const from = this.pending.length;
    this.pending += chunk;
    let newline = this.pending.indexOf("\n", from);
    while (newline !== -1) {
      this.emit(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
    // A line that never ends must not grow without bound: hand it over in pieces.
    while (this.pending.length > this.maxLine) {
      this.emit(this.pending.slice(0, this.maxLine));
      this.pending = this.pending.slice(this.maxLine);
    }
  }

  /** Hands over a last line that had no newline. */
  flush(): void {
    if (this.pending !== "") this.emit(this.pending);
    this.pending = "";
  }

  get tail(): string {
    return this.tailText.slice(-this.limit);
  }

  private emit(line: string): void {
    this.onLine?.(line.endsWith("\r") ? line.slice(0, -1) : line);
  }
}
