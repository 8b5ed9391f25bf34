// Collects a child's output stream: the last few KB for messages, and whole lines for a live listener.
const MAX_PENDING_LINE = 64 * 1024;

export class OutputTail {
  private tailText = "";
  private pending = "";

  constructor(
    private readonly limit: number,
    private readonly onLine: ((line: string) => void) | undefined,
  ) {}

  push(chunk: string): void {
    this.tailText += chunk;
    if (this.tailText.length > this.limit * 2) this.tailText = this.tailText.slice(-this.limit);
    if (this.onLine === undefined) return;
    this.pending += chunk;
    let newline = this.pending.indexOf("\n");
    while (newline !== -1) {
      this.emit(this.pending.slice(0, newline));
      this.pending = this.pending.slice(newline + 1);
      newline = this.pending.indexOf("\n");
    }
    // A line that never ends must not grow without bound: hand it over in pieces.
    while (this.pending.length > MAX_PENDING_LINE) {
      this.emit(this.pending.slice(0, MAX_PENDING_LINE));
      this.pending = this.pending.slice(MAX_PENDING_LINE);
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
