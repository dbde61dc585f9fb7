/**
 * Where counsellors work: one Microsoft Teams channel. It comes from TEAMS_COUNSELLOR_CHANNEL_ID,
 * TEAMS_TENANT_ID and TEAMS_SERVICE_URL, or is set from inside Teams with the setup command (then
 * kept in the settings table). Only activities from that channel and tenant may act on handoffs.
 */
import type { Activity } from 'botbuilder';
import { z } from 'zod';
import type { TeamsChannelConfig } from '../config';
import type { Db } from '../storage/db';

export interface CounsellorChannel extends TeamsChannelConfig {
  source: 'config' | 'setup';
}

const SETTING = 'teams.counsellorChannel';
const stored = z.object({ channelId: z.string(), tenantId: z.string(), serviceUrl: z.string().url() });

/** The channel id of a Teams channel activity (its conversation id without ";messageid=..."). */
export function channelOf(activity: Partial<Activity>): string | undefined {
  const data = activity.channelData as { teamsChannelId?: string; channel?: { id?: string } } | undefined;
  return data?.teamsChannelId ?? data?.channel?.id ?? activity.conversation?.id?.split(';')[0];
}

export function tenantOf(activity: Partial<Activity>): string | undefined {
  const data = activity.channelData as { tenant?: { id?: string } } | undefined;
  return data?.tenant?.id ?? (activity.conversation as { tenantId?: string } | undefined)?.tenantId;
}

export type SetupResult = { ok: true; channel: CounsellorChannel } | { ok: false; reason: 'configured' | 'otherTenant' | 'notAChannel' };

export class CounsellorChannelRegistry {
  constructor(
    private readonly db: Db,
    private readonly configured?: TeamsChannelConfig,
  ) {}

  async get(): Promise<CounsellorChannel | undefined> {
    if (this.configured) return { ...this.configured, source: 'config' };
    const { rows } = await this.db.query<{ value: unknown }>('SELECT value FROM settings WHERE key = $1', [SETTING]);
    const parsed = stored.safeParse(rows[0]?.value);
    return parsed.success ? { ...parsed.data, source: 'setup' } : undefined;
  }

  /**
   * The setup command, sent in the channel that should become the counsellors' channel.
   * Refused when the environment fixes the channel, or when it would move to another tenant.
   */
  async setUp(activity: Partial<Activity>): Promise<SetupResult> {
    if (this.configured) return { ok: false, reason: 'configured' };
    const channelId = channelOf(activity);
    const tenantId = tenantOf(activity);
    if (!channelId || !tenantId || !activity.serviceUrl || (activity.conversation as { conversationType?: string })?.conversationType !== 'channel') {
      return { ok: false, reason: 'notAChannel' };
    }
    const current = await this.get();
    if (current && current.tenantId !== tenantId) return { ok: false, reason: 'otherTenant' };
    const value = { channelId, tenantId, serviceUrl: activity.serviceUrl };
    await this.db.query(
      `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2, now())
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = now()`,
      [SETTING, JSON.stringify(value)],
    );
    return { ok: true, channel: { ...value, source: 'setup' } };
  }

  /** True when the activity comes from the counsellors' channel in the right tenant. */
  async isCounsellorChannel(activity: Partial<Activity>): Promise<boolean> {
    const channel = await this.get();
    return Boolean(channel && channelOf(activity) === channel.channelId && tenantOf(activity) === channel.tenantId);
  }
}
