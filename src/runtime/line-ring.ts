/** @module Keeps the last N lines of a stream (a child's stderr), masking secrets as they arrive. */

export class LineRing {
  private readonly lines: string[] = [];
  private partial = '';

  constructor(
    private readonly maxLines: number,
    private readonly mask: (s: string) => string = (s) => s,
    /** Longest line kept, characters. */
    private readonly maxLineLength = 2000,
  ) {}

  /** Appends a chunk of text; complete lines are kept, a trailing partial line waits for the rest. */
  push(chunk: string): void {
    const parts = (this.partial + chunk).split(/\r?\n/);
    this.partial = (parts.pop() ?? '').slice(0, this.maxLineLength);
    for (const line of parts) this.add(line);
  }

  private add(line: string): void {
    const cut = line.length > this.maxLineLength ? `${line.slice(0, this.maxLineLength)}…` : line;
    this.lines.push(this.mask(cut));
    if (this.lines.length > this.maxLines) this.lines.shift();
  }

  /** The last `n` lines (all by default), including an unfinished last line. */
  tail(n = this.maxLines): string[] {
    const all = this.partial ? [...this.lines, this.mask(this.partial)] : [...this.lines];
    return all.slice(-n);
  }
}
