/**
 * A small seeded pseudo-random generator (mulberry32) for fuzz tests: the same seed gives the same
 * payloads, so a failure can be replayed with FUZZ_SEED=<seed>. No dependency.
 */
export class Random {
  private state: number;

  constructor(readonly seed: number) {
    this.state = seed >>> 0;
  }

  /** A float in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** An integer in [min, max]. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  bool(probability = 0.5): boolean {
    return this.next() < probability;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  /** Text from a mix of alphabets, emoji, combining marks, controls, bidi overrides and lone surrogates. */
  text(maxLength = 40): string {
    const pieces = [
      () => String.fromCharCode(this.int(0x20, 0x7e)),
      () => this.pick(['é', 'ß', 'İ', 'ı', 'ğ', 'ش', 'ع', 'ب', 'ה', '中', 'Ω', 'ñ']),
      () => this.pick(['😀', '👩🏽‍🎓', '🏳️‍🌈', '❤️', '🇳🇱']),
      () => this.pick(['\u0301', '\u0308', '\u200d', '\u200b', '\ufeff', '\u202e', '\u2066', '\u061c']),
      () => String.fromCharCode(this.int(0, 0x1f)),
      () => this.pick(['\ud800', '\udfff', '\uffff', '\u0000']),
      () => this.pick(['"', '\\', '{', '}', '[', ']', '<script>', '${x}', '{{x}}', '%s', '`', "'", '\n', '\r\n']),
    ];
    let out = '';
    const length = this.int(0, maxLength);
    while (out.length < length) out += this.pick(pieces)();
    return out;
  }

  /** Any JSON-ish value, nested up to `depth`. */
  value(depth = 3): unknown {
    const kind = this.int(0, depth > 0 ? 9 : 6);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.bool();
      case 2:
        return this.pick([0, -1, 1e308, -1e-308, 2 ** 53 + 1, 3.14, Number.MAX_SAFE_INTEGER]);
      case 3:
      case 4:
        return this.text();
      case 5:
        return '';
      case 6:
        return this.int(0, 1_000_000);
      case 7:
      case 8:
        return Array.from({ length: this.int(0, 4) }, () => this.value(depth - 1));
      default: {
        const object: Record<string, unknown> = {};
        for (let i = this.int(0, 4); i > 0; i--) {
          const key = this.pick(['id', 'type', 'text', 'name', '__proto__', 'constructor', 'value', this.text(8)]);
          // defineProperty: `object['__proto__'] = …` would set the prototype, not a key that JSON shows.
          Object.defineProperty(object, key, { value: this.value(depth - 1), enumerable: true, writable: true, configurable: true });
        }
        return object;
      }
    }
  }
}
