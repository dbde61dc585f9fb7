/**
 * Looks for canary strings in EVERY table of the database (src/storage/migrations.ts listTables): in
 * the raw values, and in every encrypted value (`v1.…`, anywhere, also inside JSON) decrypted with
 * the app's Cipher. Erasure and encryption tests use it to prove that nothing is left or readable.
 */
import type { Cipher } from '../../src/storage/crypto';
import { listTables } from '../../src/storage/migrations';
import type { Db } from '../../src/storage/db';

export interface Finding {
  table: string;
  column: string;
  canary: string;
  /** Found in the stored value itself, or only after decrypting it. */
  where: 'raw' | 'decrypted';
}

export interface ScanResult {
  findings: Finding[];
  /** Rows per table. */
  rows: Record<string, number>;
  /** Encrypted values decrypted (proves the scan looked inside them). */
  decrypted: number;
  /** Values that look encrypted but did not decrypt with this key. */
  undecryptable: number;
}

const SEALED = /^v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;

function strings(value: unknown, out: string[] = []): string[] {
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (const v of value) strings(v, out);
  else if (value && typeof value === 'object' && !(value instanceof Date)) for (const v of Object.values(value)) strings(v, out);
  return out;
}

export async function scanForCanaries(db: Db, cipher: Cipher, canaries: string[]): Promise<ScanResult> {
  const result: ScanResult = { findings: [], rows: {}, decrypted: 0, undecryptable: 0 };
  const lower = canaries.map((c) => [c, c.toLowerCase()] as const);
  const check = (text: string, table: string, column: string, where: Finding['where']) => {
    const haystack = text.toLowerCase();
    for (const [canary, needle] of lower) if (haystack.includes(needle)) result.findings.push({ table, column, canary, where });
  };
  const open = (text: string, table: string, column: string, depth: number) => {
    for (const value of strings(tryJson(text))) {
      if (!SEALED.test(value)) continue;
      let plain: string;
      try {
        plain = cipher.decryptBytes(value).toString('latin1');
      } catch {
        result.undecryptable++;
        continue;
      }
      result.decrypted++;
      check(Buffer.from(plain, 'latin1').toString('utf8'), table, column, 'decrypted');
      check(plain, table, column, 'decrypted');
      if (depth < 3) open(plain, table, column, depth + 1);
    }
  };
  for (const table of await listTables(db)) {
    const { rows } = await db.query<Record<string, unknown>>(`SELECT * FROM "${table}"`);
    result.rows[table] = rows.length;
    for (const row of rows) {
      for (const [column, value] of Object.entries(row)) {
        if (value === null || value === undefined) continue;
        const raw = typeof value === 'string' ? value : value instanceof Date ? value.toISOString() : Buffer.isBuffer(value) ? value.toString('latin1') : JSON.stringify(value);
        check(raw, table, column, 'raw');
        open(raw, table, column, 0);
      }
    }
  }
  return result;
}

function tryJson(text: string): unknown {
  if (SEALED.test(text)) return text;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
