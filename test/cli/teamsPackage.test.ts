import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { unzipSync } from 'fflate';

const root = path.resolve(__dirname, '../..');

/** The entries of a zip file. */
function unzip(file: string): Map<string, Buffer> {
  return new Map(Object.entries(unzipSync(fs.readFileSync(file))).map(([name, data]) => [name, Buffer.from(data)]));
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
