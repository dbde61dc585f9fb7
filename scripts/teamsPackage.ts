/**
 * npm run teams:package
 * Builds the Microsoft Teams app package (manifest.json + two icons, zipped) for the counsellors'
 * team, from environment values (and .env). Upload the zip in Teams: Apps → Manage your apps →
 * Upload an app, then add it to the counsellors' team.
 *
 * The manifest asks for the resource-specific permission ChannelMessage.Read.Group, so the bot
 * receives counsellors' replies in a handoff thread without an @mention.
 */
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { zipSync } from 'fflate';
import { z } from 'zod';
import { projectRoot } from '../src/paths';

const envFile = path.join(projectRoot(), '.env');
if (fs.existsSync(envFile)) process.loadEnvFile(envFile);

const guid = z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'must be the bot\'s Microsoft App ID (a GUID)');
const https = z.string().url().startsWith('https://', 'must be an https:// address');
const schema = z.object({
  MicrosoftAppId: guid,
  TEAMS_APP_DEVELOPER_NAME: z.string().min(1).max(32).default('Haagse Aanpak Gelijke Stagekansen'),
  TEAMS_APP_WEBSITE_URL: https.default('https://www.denhaag.nl'),
  TEAMS_APP_PRIVACY_URL: https.default('https://www.denhaag.nl/privacy'),
  TEAMS_APP_TERMS_URL: https.default('https://www.denhaag.nl'),
  TEAMS_APP_VERSION: z.string().regex(/^\d+\.\d+\.\d+$/).default('1.0.0'),
});

const parsed = schema.safeParse(Object.fromEntries(Object.entries(process.env).filter(([, v]) => v !== '')));
if (!parsed.success) {
  process.stderr.write('Cannot build the Teams package:\n');
  for (const issue of parsed.error.issues) process.stderr.write(`  ${issue.path.join('.')}: ${issue.message}\n`);
  process.exit(2);
}
const env = parsed.data;

const manifest = {
  $schema: 'https://developer.microsoft.com/en-us/json-schemas/teams/v1.17/MicrosoftTeams.schema.json',
  manifestVersion: '1.17',
  version: env.TEAMS_APP_VERSION,
  id: env.MicrosoftAppId,
  developer: {
    name: env.TEAMS_APP_DEVELOPER_NAME,
    websiteUrl: env.TEAMS_APP_WEBSITE_URL,
    privacyUrl: env.TEAMS_APP_PRIVACY_URL,
    termsOfUseUrl: env.TEAMS_APP_TERMS_URL,
  },
  name: { short: 'Stagemaatje', full: 'Stagemaatje – medewerkers' },
  description: {
    short: 'Neem gesprekken over van studenten die Stagemaatje om een mens vragen.',
    full: 'Stagemaatje helpt studenten die discriminatie meemaken rond hun stage. Vraagt een student om een mens, dan verschijnt er een kaart in het kanaal van de medewerkers. Een medewerker pakt de vraag op en chat via de bot met de student, en geeft het gesprek daarna terug.',
  },
  icons: { color: 'color.png', outline: 'outline.png' },
  accentColor: '#2E7D6B',
  bots: [
    {
      botId: env.MicrosoftAppId,
      scopes: ['team'],
      isNotificationOnly: false,
      supportsFiles: false,
      commandLists: [
        {
          scopes: ['team'],
          commands: [
            { title: 'setup', description: 'Maak dit het kanaal voor de medewerkers' },
            { title: 'wachtrij', description: 'Wie wacht er op een medewerker?' },
            { title: 'help', description: 'Uitleg' },
          ],
        },
      ],
    },
  ],
  permissions: ['identity', 'messageTeamMembers'],
  validDomains: [],
  webApplicationInfo: { id: env.MicrosoftAppId, resource: 'https://RscBasedStoreApp' },
  authorization: {
    permissions: {
      resourceSpecific: [{ name: 'ChannelMessage.Read.Group', type: 'Application' }],
    },
  },
};

/** A PNG of `size`×`size` pixels, drawn by `pixel(x, y)` → [r, g, b, a]. */
function png(size: number, pixel: (x: number, y: number) => [number, number, number, number]): Buffer {
  const chunk = (type: string, data: Buffer) => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(zlib.crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(size, 0);
  header.writeUInt32BE(size, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // RGBA
  const rows: Buffer[] = [];
  for (let y = 0; y < size; y++) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x++) Buffer.from(pixel(x, y)).copy(row, 1 + x * 4);
    rows.push(row);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A speech bubble: white on the accent colour (colour icon), white on transparent (outline icon). */
function bubble(size: number, x: number, y: number): boolean {
  const cx = size / 2;
  const cy = size * 0.45;
  const inEllipse = ((x - cx) / (size * 0.32)) ** 2 + ((y - cy) / (size * 0.24)) ** 2 <= 1;
  const inTail = y > cy && y < size * 0.8 && x > cx - size * 0.18 && x < cx - size * 0.02 && x - (cx - size * 0.18) > (y - cy) * 0.5;
  return inEllipse || inTail;
}

const color = png(192, (x, y) => (bubble(192, x, y) ? [255, 255, 255, 255] : [0x2e, 0x7d, 0x6b, 255]));
const outline = png(32, (x, y) => (bubble(32, x, y) ? [255, 255, 255, 255] : [0, 0, 0, 0]));

const outDir = path.join(projectRoot(), 'dist', 'teams');
fs.mkdirSync(outDir, { recursive: true });
const output = path.join(outDir, 'stagemaatje-teams.zip');
fs.writeFileSync(
  output,
  zipSync({
    'manifest.json': Buffer.from(JSON.stringify(manifest, null, 2)),
    'color.png': color,
    'outline.png': outline,
  }),
);
process.stdout.write(`${output}\n`);
