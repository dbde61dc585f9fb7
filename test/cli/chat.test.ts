import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { TEST_KEY } from '../helpers/app';

const root = path.resolve(__dirname, '../..');

describe('npm run chat (terminal chat)', function () {
  this.timeout(60_000);

  it('greets, shows buttons as numbers, answers questions and takes a pressed number', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'stagemaatje-chat-'));
    const result = spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'scripts/chat.ts')], {
      cwd: root,
      input: 'mag een bedrijf me weigeren omdat ik een hoofddoek draag?\n1\n/quit\n',
      env: { PATH: process.env.PATH, DATA_DIR: dataDir, REPORT_ENCRYPTION_KEY: TEST_KEY, NODE_OPTIONS: '--no-deprecation' },
      encoding: 'utf8',
      timeout: 50_000,
    });
    fs.rmSync(dataDir, { recursive: true, force: true });
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /Ik ben Stagemaatje/);
    assert.match(result.stdout, /\[1\] Vraag stellen/);
    assert.match(result.stdout, /Bron: handboek 2\.4/);
    assert.match(result.stdout, /Vertel in je eigen woorden wat er gebeurde/, '"1" pressed the first button: Report it');
  });
});
