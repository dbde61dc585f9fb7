import fs from 'node:fs';
import path from 'node:path';

let cached: string | undefined;

/** The folder holding package.json, whether we run from src/ (tsx) or from dist/ (compiled). */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('cannot find the project root (package.json)');
    dir = parent;
  }
  cached = dir;
  return dir;
}
