/**
 * Drives the running app over HTTP the way Web Chat (a student) and Teams (counsellors) would:
 * activities are POSTed to /api/messages, and everything the bot sends goes to a FakeConnector.
 */
import type { Activity } from 'botbuilder';
import type { App, AppOverrides } from '../../src/app';
import type { Logger } from '../../src/logger';
import { testApp } from './app';
import { resetDb, testDb } from './db';
import { FakeConnector } from './fakeConnector';

export const CHANNEL_ID = '19:counsellors0000000000000000000001@thread.tacv2';
export const TEAM_ID = '19:team000000000000000000000000000001@thread.tacv2';
export const TENANT_ID = '00000000-0000-0000-0000-00000000a001';
export const BOT_ID = '28:00000000-0000-0000-0000-00000000b001';

export const counsellors = {
  sara: { id: '29:sara', name: 'Sara de Vries', aadObjectId: '00000000-0000-0000-0000-0000000000a1' },
  tom: { id: '29:tom', name: 'Tom Bakker', aadObjectId: '00000000-0000-0000-0000-0000000000a2' },
};

/** The settings that point the app's counsellor channel at a FakeConnector. */
export function teamsEnv(connector: FakeConnector): Record<string, string> {
  return { TEAMS_COUNSELLOR_CHANNEL_ID: CHANNEL_ID, TEAMS_TENANT_ID: TENANT_ID, TEAMS_SERVICE_URL: connector.url };
}

/**
 * A FakeConnector for a whole describe block: started before its first test, stopped after its last,
 * and emptied, with the test database, before each test.
 */
export function connectorForSuite(): FakeConnector {
  const connector = new FakeConnector();
  before(async () => void (await connector.start()));
  after(async () => connector.stop());
  beforeEach(async () => {
    await resetDb(await testDb());
    connector.reset();
  });
  return connector;
}

/** The app with its counsellor channel on `connector`, listening, and a driver for it. */
export async function startWithTeams(
  connector: FakeConnector,
  env: Record<string, string> = {},
  overrides: AppOverrides = {},
  logger?: Logger,
): Promise<{ app: App; driver: HttpDriver }> {
  const app = await testApp({ ...teamsEnv(connector), ...env }, overrides, logger);
  const { port } = await app.listen();
  return { app, driver: new HttpDriver(`http://127.0.0.1:${port}`, connector) };
}

let counter = 0;

export class HttpDriver {
  constructor(
    readonly base: string,
    readonly connector: FakeConnector,
  ) {}

  async post(activity: Record<string, unknown>): Promise<Response> {
    return fetch(`${this.base}/api/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: `in-${++counter}`, timestamp: new Date().toISOString(), serviceUrl: this.connector.url, ...activity }),
    });
  }

  /** A Web Chat student. */
  async student(userId: string, text: string, value?: unknown): Promise<Partial<Activity>[]> {
    return this.fromStudent(userId, { text, ...(value ? { value } : {}) });
  }

  /** A Web Chat student sending a file (no text). */
  async studentAttachment(userId: string, attachment: NonNullable<Activity['attachments']>[number]): Promise<Partial<Activity>[]> {
    return this.fromStudent(userId, { attachments: [attachment] });
  }

  private async fromStudent(userId: string, content: Record<string, unknown>): Promise<Partial<Activity>[]> {
    const before = this.connector.calls.length;
    const res = await this.post({
      type: 'message',
      channelId: 'webchat',
      from: { id: userId, name: 'Student' },
      recipient: { id: 'bot', name: 'Stagemaatje' },
      conversation: { id: `conv-${userId}` },
      ...content,
    });
    if (res.status !== 200) throw new Error(`student post failed: ${res.status}`);
    return this.connector.calls.slice(before).filter((c) => c.conversationId === `conv-${userId}`).map((c) => c.body as Partial<Activity>);
  }

  /** A counsellor writing in a channel thread (or the channel itself). */
  async counsellor(
    who: { id: string; name: string; aadObjectId: string },
    conversationId: string,
    text: string,
    options: { value?: unknown; channelId?: string; tenantId?: string; mention?: boolean } = {},
  ): Promise<Partial<Activity>[]> {
    const channel = options.channelId ?? CHANNEL_ID;
    const before = this.connector.calls.length;
    const mention = options.mention ? `<at>Stagemaatje</at> ` : '';
    const res = await this.post({
      type: 'message',
      channelId: 'msteams',
      from: who,
      recipient: { id: BOT_ID, name: 'Stagemaatje' },
      conversation: { id: conversationId, isGroup: true, conversationType: 'channel', tenantId: options.tenantId ?? TENANT_ID } as Activity['conversation'],
      text: options.value ? '' : `${mention}${text}`,
      ...(options.mention
        ? { entities: [{ type: 'mention', text: '<at>Stagemaatje</at>', mentioned: { id: BOT_ID, name: 'Stagemaatje' } }] }
        : {}),
      ...(options.value ? { value: options.value } : {}),
      channelData: { teamsChannelId: channel, teamsTeamId: TEAM_ID, channel: { id: channel }, team: { id: TEAM_ID }, tenant: { id: options.tenantId ?? TENANT_ID } },
      locale: 'nl-NL',
    });
    if (res.status !== 200) throw new Error(`counsellor post failed: ${res.status} ${await res.text()}`);
    return this.connector.calls.slice(before).filter((c) => c.conversationId === conversationId).map((c) => c.body as Partial<Activity>);
  }

  /** Presses a card button (Action.Submit): a message with `value` and no text. */
  press(who: { id: string; name: string; aadObjectId: string }, threadId: string, action: string, handoffId: string) {
    return this.counsellor(who, threadId, '', { value: { action, handoffId } });
  }
}

export function texts(activities: Partial<Activity>[]): string {
  return activities.map((a) => a.text ?? '').join('\n');
}
