/**
 * @module Masks known secret values (request parameters passed to children) in any text: log lines,
 * child stderr, error messages. Values are reference-counted, since several processes may share one.
 */

/** Values shorter than this are not masked (masking "1" or "true" would garble every line). */
export const MIN_SECRET_LENGTH = 4;
const MASK = '***';

export class SecretRedactor {
  private readonly counts = new Map<string, number>();
  private pattern: RegExp | null = null;

  /** Starts masking `values` (call `remove` with the same values when they are no longer in use). */
  add(values: Iterable<string>): void {
    for (const v of values) {
      if (v.length < MIN_SECRET_LENGTH) continue;
      for (const form of forms(v)) this.counts.set(form, (this.counts.get(form) ?? 0) + 1);
    }
    this.pattern = null;
  }

  remove(values: Iterable<string>): void {
    for (const v of values) {
      if (v.length < MIN_SECRET_LENGTH) continue;
      for (const form of forms(v)) {
        const n = (this.counts.get(form) ?? 0) - 1;
        if (n <= 0) this.counts.delete(form);
        else this.counts.set(form, n);
      }
    }
    this.pattern = null;
  }

  /** `text` with every known secret (raw, JSON-escaped or URL-encoded) replaced by `***`. */
  mask(text: string): string {
    if (this.counts.size === 0) return text;
    if (!this.pattern) {
      const alternatives = [...this.counts.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp);
      this.pattern = new RegExp(alternatives.join('|'), 'g');
    }
    return text.replace(this.pattern, MASK);
  }

  get size(): number {
    return this.counts.size;
  }
}

function forms(v: string): Set<string> {
  return new Set([v, JSON.stringify(v).slice(1, -1), encodeURIComponent(v)]);
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
