/**
 * All configuration, parsed once from the environment by one zod schema.
 * Nothing else in the code base reads process.env: take a `Config` instead.
 */
import { z } from 'zod';
import { parseOfficeHours, type OfficeHours } from './handoff/officeHours';

const blankToUndefined = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

const optionalString = z.preprocess(blankToUndefined, z.string().trim().optional());
const int = (fallback: number, min: number, max: number) =>
  z.preprocess(blankToUndefined, z.coerce.number().int().min(min).max(max).default(fallback));
const httpUrl = z.string().trim().url().refine((u) => /^https?:\/\//.test(u), 'must start with http:// or https://');

const schema = z
  .object({
    NODE_ENV: z.preprocess(blankToUndefined, z.enum(['development', 'test', 'production']).default('development')),
    PORT: int(3978, 0, 65535),
    HOST: optionalString,
    LOG_LEVEL: z.preprocess(
      blankToUndefined,
      z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    ),
    MAX_REQUEST_BYTES: int(1_048_576, 1024, 20 * 1_048_576),
    DATA_DIR: z.preprocess(blankToUndefined, z.string().default('./data')),
    DATABASE_URL: z.preprocess(blankToUndefined, z.string().url().optional()),
    DATABASE_SCHEMA: z.preprocess(
      blankToUndefined,
      z.string().regex(/^[a-z_][a-z0-9_]{0,62}$/, 'must be a lower-case PostgreSQL identifier').default('public'),
    ),

    MicrosoftAppId: optionalString,
    MicrosoftAppPassword: optionalString,
    MicrosoftAppType: z.preprocess(
      blankToUndefined,
      z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
    ),
    MicrosoftAppTenantId: optionalString,

    AZURE_LANGUAGE_ENDPOINT: z.preprocess(blankToUndefined, httpUrl.optional()),
    AZURE_LANGUAGE_KEY: optionalString,

    REPORT_ENCRYPTION_KEY: optionalString,
    REPORT_RETENTION_DAYS: int(365, 1, 3650),
    DRAFT_RETENTION_DAYS: int(30, 1, 365),

    WHATSAPP_ACCESS_TOKEN: optionalString,
    WHATSAPP_PHONE_NUMBER_ID: optionalString,
    WHATSAPP_APP_SECRET: optionalString,
    WHATSAPP_VERIFY_TOKEN: optionalString,
    WHATSAPP_API_URL: z.preprocess(blankToUndefined, httpUrl.default('https://graph.facebook.com/v23.0')),
    WHATSAPP_TEMPLATE_NAME: optionalString,
    WHATSAPP_TEMPLATE_LANGUAGES: z.preprocess(blankToUndefined, z.string().default('nl,en')),

    TEAMS_COUNSELLOR_CHANNEL_ID: optionalString,
    TEAMS_TENANT_ID: optionalString,
    TEAMS_SERVICE_URL: z.preprocess(blankToUndefined, httpUrl.optional()),
    COUNSELLOR_HOURS: z.preprocess(blankToUndefined, z.string().default('mon-fri 09:00-17:00')),
    HANDOFF_TIMEOUT_MINUTES: int(15, 1, 24 * 60),

    RATE_LIMIT_MESSAGES_PER_MINUTE: int(30, 1, 10_000),
    RATE_LIMIT_REQUESTS_PER_MINUTE: int(600, 1, 1_000_000),
    METRICS_TOKEN: optionalString,

    // Test hooks (test/reliability/crash.test.ts starts real servers with them); NODE_ENV=test only.
    STAGEMAATJE_TEST_CRASH_POINT: z.preprocess(blankToUndefined, z.enum(['after-turn-before-save']).optional()),
    STAGEMAATJE_TEST_CRASH_ON_TEXT: z.preprocess(blankToUndefined, z.string().optional()),
    STAGEMAATJE_TEST_WHATSAPP_LEASE_MS: z.preprocess(blankToUndefined, z.coerce.number().int().min(100).optional()),
  })
  .superRefine((env, ctx) => {
    const problem = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
    if (env.NODE_ENV !== 'test') {
      for (const name of ['STAGEMAATJE_TEST_CRASH_POINT', 'STAGEMAATJE_TEST_CRASH_ON_TEXT', 'STAGEMAATJE_TEST_WHATSAPP_LEASE_MS'] as const) {
        if (env[name] !== undefined) problem(name, 'is a test hook: only allowed with NODE_ENV=test');
      }
    }
    if (env.NODE_ENV === 'production') {
      if (!env.MicrosoftAppId) problem('MicrosoftAppId', 'is required when NODE_ENV=production (without it anyone can drive the bot)');
      if (!env.MicrosoftAppPassword && env.MicrosoftAppType !== 'UserAssignedMSI') {
        problem('MicrosoftAppPassword', 'is required when NODE_ENV=production');
      }
      if (!env.REPORT_ENCRYPTION_KEY) problem('REPORT_ENCRYPTION_KEY', 'is required when NODE_ENV=production');
    }
    if (env.MicrosoftAppType === 'SingleTenant' && env.MicrosoftAppId && !env.MicrosoftAppTenantId) {
      problem('MicrosoftAppTenantId', 'is required when MicrosoftAppType=SingleTenant');
    }
    if (Boolean(env.AZURE_LANGUAGE_ENDPOINT) !== Boolean(env.AZURE_LANGUAGE_KEY)) {
      problem('AZURE_LANGUAGE_KEY', 'AZURE_LANGUAGE_ENDPOINT and AZURE_LANGUAGE_KEY must be set together');
    }
    if (env.REPORT_ENCRYPTION_KEY && Buffer.from(env.REPORT_ENCRYPTION_KEY, 'base64').length !== 32) {
      problem('REPORT_ENCRYPTION_KEY', 'must be 32 random bytes in base64 (try: openssl rand -base64 32)');
    }
    const whatsapp = ['WHATSAPP_ACCESS_TOKEN', 'WHATSAPP_PHONE_NUMBER_ID', 'WHATSAPP_APP_SECRET', 'WHATSAPP_VERIFY_TOKEN'] as const;
    const setCount = whatsapp.filter((name) => env[name]).length;
    if (setCount > 0 && setCount < whatsapp.length) {
      for (const name of whatsapp.filter((n) => !env[n])) {
        problem(name, 'is missing: the WhatsApp channel needs all four WHATSAPP_* secrets, or none to switch it off');
      }
    }
    const teams = ['TEAMS_COUNSELLOR_CHANNEL_ID', 'TEAMS_TENANT_ID', 'TEAMS_SERVICE_URL'] as const;
    const teamsSet = teams.filter((name) => env[name]).length;
    if (teamsSet > 0 && teamsSet < teams.length) {
      for (const name of teams.filter((n) => !env[n])) {
        problem(name, 'is missing: set all three TEAMS_* values, or none and configure the channel from Teams');
      }
    }
    try {
      parseOfficeHours(env.COUNSELLOR_HOURS);
    } catch (err) {
      problem('COUNSELLOR_HOURS', (err as Error).message);
    }
  });

export type Env = z.infer<typeof schema>;

export interface WhatsAppConfig {
  accessToken: string;
  phoneNumberId: string;
  appSecret: string;
  verifyToken: string;
  apiUrl: string;
  templateName?: string;
  templateLanguages: string[];
}

export interface TeamsChannelConfig {
  channelId: string;
  tenantId: string;
  serviceUrl: string;
}

export interface Config {
  env: Env['NODE_ENV'];
  port: number;
  host: string;
  logLevel: Env['LOG_LEVEL'];
  maxRequestBytes: number;
  dataDir: string;
  database: { url?: string; schema: string };
  botFramework: { appId: string; appPassword: string; appType: Env['MicrosoftAppType']; tenantId: string };
  azureLanguage?: { endpoint: string; key: string };
  reports: { encryptionKey?: string; retentionDays: number; draftRetentionDays: number };
  whatsapp?: WhatsAppConfig;
  teams?: TeamsChannelConfig;
  counsellorHours: OfficeHours;
  handoffTimeoutMinutes: number;
  rateLimits: { messagesPerMinute: number; requestsPerMinute: number };
  metricsToken?: string;
  /** Only with NODE_ENV=test: see src/testHooks.ts. */
  testHooks?: TestHooks;
}

export interface TestHooks {
  /** Kill the process (SIGKILL) after a turn's logic and before its state is saved. */
  crashBeforeSave: boolean;
  /** Only on the turn whose message text is exactly this. */
  crashOnText?: string;
  /** A short WhatsApp lease, so a crashed turn is taken over in seconds. */
  whatsappLeaseMs?: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment. Throws a ConfigError listing every problem, one per line. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || 'config'}: ${issue.message}`),
    );
  }
  const env = parsed.data;
  const credentialsSet = Boolean(env.MicrosoftAppId);
  return {
    env: env.NODE_ENV,
    port: env.PORT,
    // Without credentials anyone who reaches the port can drive the bot: only listen locally then.
    host: env.HOST ?? (credentialsSet ? '0.0.0.0' : '127.0.0.1'),
    logLevel: env.LOG_LEVEL,
    maxRequestBytes: env.MAX_REQUEST_BYTES,
    dataDir: env.DATA_DIR,
    database: { url: env.DATABASE_URL, schema: env.DATABASE_SCHEMA },
    botFramework: {
      appId: env.MicrosoftAppId ?? '',
      appPassword: env.MicrosoftAppPassword ?? '',
      appType: env.MicrosoftAppType,
      tenantId: env.MicrosoftAppTenantId ?? '',
    },
    azureLanguage:
      env.AZURE_LANGUAGE_ENDPOINT && env.AZURE_LANGUAGE_KEY
        ? { endpoint: env.AZURE_LANGUAGE_ENDPOINT, key: env.AZURE_LANGUAGE_KEY }
        : undefined,
    reports: {
      encryptionKey: env.REPORT_ENCRYPTION_KEY,
      retentionDays: env.REPORT_RETENTION_DAYS,
      draftRetentionDays: env.DRAFT_RETENTION_DAYS,
    },
    whatsapp:
      env.WHATSAPP_ACCESS_TOKEN && env.WHATSAPP_PHONE_NUMBER_ID && env.WHATSAPP_APP_SECRET && env.WHATSAPP_VERIFY_TOKEN
        ? {
            accessToken: env.WHATSAPP_ACCESS_TOKEN,
            phoneNumberId: env.WHATSAPP_PHONE_NUMBER_ID,
            appSecret: env.WHATSAPP_APP_SECRET,
            verifyToken: env.WHATSAPP_VERIFY_TOKEN,
            apiUrl: env.WHATSAPP_API_URL.replace(/\/+$/, ''),
            templateName: env.WHATSAPP_TEMPLATE_NAME,
            templateLanguages: env.WHATSAPP_TEMPLATE_LANGUAGES.split(',').map((s) => s.trim()).filter(Boolean),
          }
        : undefined,
    teams:
      env.TEAMS_COUNSELLOR_CHANNEL_ID && env.TEAMS_TENANT_ID && env.TEAMS_SERVICE_URL
        ? { channelId: env.TEAMS_COUNSELLOR_CHANNEL_ID, tenantId: env.TEAMS_TENANT_ID, serviceUrl: env.TEAMS_SERVICE_URL }
        : undefined,
    counsellorHours: parseOfficeHours(env.COUNSELLOR_HOURS),
    handoffTimeoutMinutes: env.HANDOFF_TIMEOUT_MINUTES,
    rateLimits: {
      messagesPerMinute: env.RATE_LIMIT_MESSAGES_PER_MINUTE,
      requestsPerMinute: env.RATE_LIMIT_REQUESTS_PER_MINUTE,
    },
    metricsToken: env.METRICS_TOKEN,
    testHooks:
      env.NODE_ENV === 'test'
        ? {
            crashBeforeSave: env.STAGEMAATJE_TEST_CRASH_POINT === 'after-turn-before-save',
            crashOnText: env.STAGEMAATJE_TEST_CRASH_ON_TEXT,
            whatsappLeaseMs: env.STAGEMAATJE_TEST_WHATSAPP_LEASE_MS,
          }
        : undefined,
  };
}
