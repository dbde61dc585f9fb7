import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { spawnSync } from 'node:child_process';

const root = path.resolve(__dirname, '../..');

/** Reads the entries of a zip file (local headers, deflate or stored). */
function unzip(file: string): Map<string, Buffer> {
  const data = fs.readFileSync(file);
  const entries = new Map<string, Buffer>();
  let offset = 0;
  while (data.readUInt32LE(offset) === 0x04034b50) {
    const method = data.readUInt16LE(offset + 8);
    const crc = data.readUInt32LE(offset + 14);
    const size = data.readUInt32LE(offset + 18);
    const nameLength = data.readUInt16LE(offset + 26);
    const extra = data.readUInt16LE(offset + 28);
    const name = data.subarray(offset + 30, offset + 30 + nameLength).toString('utf8');
    const body = data.subarray(offset + 30 + nameLength + extra, offset + 30 + nameLength + extra + size);
    const content = method === 8 ? zlib.inflateRawSync(body) : Buffer.from(body);
    assert.equal(zlib.crc32(content), crc, `${name} is corrupt`);
    entries.set(name, content);
    offset += 30 + nameLength + extra + size;
  }
  return entries;
}

describe('Teams app package', function () {
  this.timeout(30_000);
  const run = (env: Record<string, string>) =>
    spawnSync(process.execPath, ['--require', 'tsx/cjs', path.join(root, 'scripts/teamsPackage.ts')], {
      cwd: root,
      env: { PATH: process.env.PATH, NODE_OPTIONS: '--no-deprecation', ...env },
      encoding: 'utf8',
    });

  it('builds manifest and icons from env values, asking for channel messages without @mention', () => {
    const result = run({ MicrosoftAppId: '11111111-2222-3333-4444-555555555555', TEAMS_APP_VERSION: '1.2.3' });
    assert.equal(result.status, 0, result.stderr);
    const entries = unzip(result.stdout.trim());
    assert.deepEqual([...entries.keys()].sort(), ['color.png', 'manifest.json', 'outline.png']);
    const manifest = JSON.parse(entries.get('manifest.json')!.toString('utf8'));
    assert.equal(manifest.id, '11111111-2222-3333-4444-555555555555');
    assert.equal(manifest.version, '1.2.3');
    assert.equal(manifest.bots[0].botId, '11111111-2222-3333-4444-555555555555');
    assert.deepEqual(manifest.bots[0].scopes, ['team']);
    assert.deepEqual(manifest.authorization.permissions.resourceSpecific, [{ name: 'ChannelMessage.Read.Group', type: 'Application' }]);
    assert.equal(entries.get('color.png')!.readUInt32BE(16), 192);
    assert.equal(entries.get('outline.png')!.readUInt32BE(16), 32);
  });

  it('refuses to build without a valid app id, with a clear message', () => {
    const result = run({ MicrosoftAppId: 'not-a-guid' });
    assert.equal(result.status, 2);
    assert.match(result.stderr, /MicrosoftAppId: must be the bot's Microsoft App ID/);
  });
});
