import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SUPPORTED_LANGUAGES, i18n } from '../../src/i18n/i18n';

const root = path.resolve(__dirname, '../..');

function keys(value: unknown, prefix = ''): string[] {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => keys(v, prefix ? `${prefix}.${k}` : k));
  }
  return [prefix];
}

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    return e.isDirectory() ? sourceFiles(full) : e.name.endsWith('.ts') ? [full] : [];
  });
}

describe('locales', () => {
  const resources = Object.fromEntries(
    SUPPORTED_LANGUAGES.map((lang) => [lang, JSON.parse(fs.readFileSync(path.join(root, 'locales', lang, 'translation.json'), 'utf8'))]),
  );

  it('have the same keys in every language', () => {
    const [first, ...rest] = SUPPORTED_LANGUAGES;
    const reference = new Set(keys(resources[first]));
    for (const lang of rest) {
      const own = new Set(keys(resources[lang]));
      assert.deepEqual([...reference].filter((k) => !own.has(k)), [], `missing in ${lang}`);
      assert.deepEqual([...own].filter((k) => !reference.has(k)), [], `only in ${lang}`);
    }
  });

  it('contain every literal key the code asks for', () => {
    const used = new Set<string>();
    for (const file of [...sourceFiles(path.join(root, 'src')), ...sourceFiles(path.join(root, 'dialogs'))]) {
      const code = fs.readFileSync(file, 'utf8');
      for (const m of code.matchAll(/\bt\(\s*'([a-zA-Z][\w.]*)'/g)) used.add(m[1]!);
      for (const m of code.matchAll(/choice\([^,]+,\s*'[^']+',\s*'([\w.]+)'(?:,\s*'([\w.]+)')?/g)) {
        used.add(m[1]!);
        if (m[2]) used.add(m[2]);
      }
    }
    assert.ok(used.size > 30);
    for (const lang of SUPPORTED_LANGUAGES) {
      const missing = [...used].filter((k) => !i18n().exists(k, { lng: lang, fallbackLng: false }));
      assert.deepEqual(missing, [], `keys missing in ${lang}`);
    }
  });

  it('keep button labels short enough for WhatsApp reply buttons (20 characters)', () => {
    for (const lang of SUPPORTED_LANGUAGES) {
      const r = resources[lang];
      const labels = [
        ...Object.values(r.buttons as Record<string, string>),
        ...Object.values(r.report.buttons as Record<string, string>),
        ...Object.values(r.myReports.buttons as Record<string, string>),
        ...Object.values(r.erase.buttons as Record<string, string>),
      ];
      for (const label of labels) assert.ok(label.length <= 20, `${lang}: "${label}" is too long for a button`);
    }
  });
});
