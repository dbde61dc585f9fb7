/**
 * Composition root: builds every service from a Config, in dependency order, and returns an App
 * that can start listening and stop cleanly. src/index.ts runs it; end-to-end tests run it in-process.
 * Only this file calls `new` on concrete services.
 */
import type { AddressInfo } from 'node:net';
import {
  CloudAdapter,
  UserState,
  type ConfigurationBotFrameworkAuthenticationOptions,
  type TurnContext,
} from 'botbuilder';
import { TextAnalysisClient, AzureKeyCredential } from '@azure/ai-language-text';
import type { Server } from 'restify';
import type { Config } from './config';
import type { Logger } from './logger';
import type { Db } from './storage/db';
import type { Cipher } from './storage/crypto';
import { PgStorage } from './storage/pgStorage';
import { OptimisticConversationState } from './storage/optimisticState';
import { loadHandbook, type Handbook } from './handbook/content';
import { HandbookAnswerer, type Answerer } from './handbook/answerer';
import { AzureLanguageDetector, LocalLanguageDetector, type LanguageDetector } from './i18n/languageDetection';
import { DEFAULT_LANGUAGE, translator } from './i18n/i18n';
import { MainDialog } from '../dialogs/mainDialog';
import { ReportDialog } from '../dialogs/report/reportDialog';
import { MyReportsDialog } from '../dialogs/myReportsDialog';
import { EraseDataDialog } from '../dialogs/eraseDataDialog';
import type { ReportStore } from './reports/reportStore';
import { ChannelMediaFetcher, HttpMediaFetcher } from './channels/media';
import type { SubjectEraser } from './privacy/subjectEraser';
import { openDataServices, WHATSAPP_CHANNEL_ID, type DataOverrides } from './dataServices';
import { createWhatsAppChannel, type WhatsAppChannel } from './channels/whatsapp';
import { Scheduler } from './scheduler';
import { Metrics } from './metrics';
import { removeExpiredConversations } from './privacy/retention';
import { StudentBot } from './bots/studentBot';
import { CounsellorBot } from './bots/counsellorBot';
import { HandoffStore } from './handoff/handoffStore';
import { CounsellorChannelRegistry } from './handoff/counsellorChannel';
import { COUNSELLOR_LANGUAGE, HandoffService } from './handoff/handoffService';
import { AzurePiiRedactor, LocalPiiRedactor, type PiiRedactor } from './text/redact';
import { RateLimiter } from './bots/rateLimiter';
import { createServer, InFlight } from './server';
import { StrictBotFrameworkAuthentication } from './botFrameworkAuth';
import { crashBeforeSave } from './testHooks';

export interface AppOverrides extends DataOverrides {
  /** Extra Bot Framework auth settings (tests point the OpenID metadata at a local server). */
  botFrameworkAuth?: ConfigurationBotFrameworkAuthenticationOptions;
  languageClient?: Pick<TextAnalysisClient, 'analyze'>;
}

export interface App {
  config: Config;
  db: Db;
  server: Server;
  handbook: Handbook;
  answerer: Answerer;
  studentBot: StudentBot;
  counsellorBot: CounsellorBot;
  handoff: HandoffService;
  handoffs: HandoffStore;
  adapter: CloudAdapter;
  reports: ReportStore;
  eraser: SubjectEraser;
  whatsapp?: WhatsAppChannel;
  cipher: Cipher;
  media: ChannelMediaFetcher;
  metrics: Metrics;
  /** Runs the periodic jobs once (retention, retries); they also run on a timer once listening. */
  runMaintenance(): Promise<void>;
  listen(): Promise<{ port: number; host: string }>;
  stop(): Promise<void>;
}

export async function createApp(config: Config, logger: Logger, overrides: AppOverrides = {}): Promise<App> {
  const data = await openDataServices(config, logger, overrides);
  const { db, cipher, reports, handoffs, stateKeys, eraser, now } = data;
  const storage = new PgStorage(db, cipher);
  const conversationState = new OptimisticConversationState(storage);
  const userState = new UserState(storage);

  const handbook = loadHandbook();
  const answerer = new HandbookAnswerer(handbook);

  const languageClient =
    overrides.languageClient ??
    (config.azureLanguage ? new TextAnalysisClient(config.azureLanguage.endpoint, new AzureKeyCredential(config.azureLanguage.key)) : undefined);
  const localDetector = new LocalLanguageDetector();
  const languageDetector: LanguageDetector = languageClient
    ? new AzureLanguageDetector(languageClient, localDetector, logger)
    : localDetector;
  logger.info({ event: 'language_services', azure: Boolean(languageClient) }, languageClient ? 'using Azure AI Language' : 'using local language detection and redaction');

  const media = new ChannelMediaFetcher(new HttpMediaFetcher());
  const inFlight = new InFlight();
  const metrics = new Metrics(db);
  const redactor: PiiRedactor = languageClient
    ? new AzurePiiRedactor(languageClient, new LocalPiiRedactor(translator(COUNSELLOR_LANGUAGE)), logger)
    : new LocalPiiRedactor(translator(COUNSELLOR_LANGUAGE));

  // Bot Framework (Teams, Web Chat, Emulator)
  // Strict: every bad token is a 401 (botbuilder lets some token errors through as 500s).
  const auth = new StrictBotFrameworkAuthentication({
    MicrosoftAppId: config.botFramework.appId,
    MicrosoftAppPassword: config.botFramework.appPassword,
    MicrosoftAppType: config.botFramework.appType,
    MicrosoftAppTenantId: config.botFramework.tenantId,
    ...overrides.botFrameworkAuth,
  });
  const adapter = new CloudAdapter(auth);

  // The student bot and the handoff are built below; the WhatsApp channel (built first, because they
  // need its adapter) reaches them through this holder.
  const late: { studentBot?: StudentBot; handoff?: HandoffService } = {};
  const runStudentTurn = (context: TurnContext) => metrics.timeTurn(context.activity.channelId, () => late.studentBot!.run(context));

  let whatsapp: WhatsAppChannel | undefined;
  if (config.whatsapp) {
    whatsapp = createWhatsAppChannel({
      config: config.whatsapp,
      maxRequestBytes: config.maxRequestBytes,
      db,
      cipher,
      logger,
      inFlight,
      runTurn: runStudentTurn,
      userIdFor: data.whatsAppUserId,
      subjectFor: (userId) => data.subjectId(WHATSAPP_CHANNEL_ID, userId),
      onDeliveryFailed: (failure) => {
        metrics.outboundFailures.inc({ channel: WHATSAPP_CHANNEL_ID });
        return late.handoff?.onDeliveryFailed(failure) ?? Promise.resolve();
      },
      now,
      tuning: config.testHooks?.whatsappLeaseMs ? { leaseMs: config.testHooks.whatsappLeaseMs } : undefined,
    });
    media.register(WHATSAPP_CHANNEL_ID, whatsapp.media);
    logger.info({ event: 'whatsapp_on' }, 'WhatsApp channel is on: webhook at /api/whatsapp');
  } else {
    logger.info({ event: 'whatsapp_off' }, 'WhatsApp channel is off (set WHATSAPP_ACCESS_TOKEN, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN to switch it on)');
  }

  // Counsellor handoff over Teams
  const counsellorChannels = new CounsellorChannelRegistry(db, config.teams);
  const handoff = new HandoffService({
    store: handoffs,
    channels: counsellorChannels,
    cloudAdapter: adapter,
    studentAdapters: { [WHATSAPP_CHANNEL_ID]: whatsapp?.adapter },
    botAppId: config.botFramework.appId,
    officeHours: config.counsellorHours,
    timeoutMinutes: config.handoffTimeoutMinutes,
    redactor,
    handbook,
    media,
    metrics,
    logger,
    now,
  });
  late.handoff = handoff;
  reports.setNotifier(handoff);
  const counsellorBot = new CounsellorBot({ handoff, store: handoffs, channels: counsellorChannels, logger });

  const mainDialog = new MainDialog({
    handbook,
    answerer,
    drafts: reports,
    handoff,
    flows: [
      new ReportDialog({ reports, media, logger, now }),
      new MyReportsDialog({ reports, media, logger }),
      new EraseDataDialog({
        eraser,
        forgetTurnState: async (context) => {
          await conversationState.delete(context);
          await userState.delete(context);
        },
      }),
    ],
  });
  const studentBot = new StudentBot({
    conversationState,
    userState,
    storage,
    mainDialog,
    languageDetector,
    subjectId: data.subjectId,
    logger,
    rateLimiter: new RateLimiter(config.rateLimits.messagesPerMinute),
    relay: handoff,
    stateKeys,
    beforeStateSave: crashBeforeSave(config.testHooks),
  });
  late.studentBot = studentBot;

  adapter.onTurnError = async (context: TurnContext, error: Error) => {
    // Never delete state here: a half-filed report must survive a passing fault.
    logger.error({ event: 'turn_failed', channel: context.activity.channelId, activityId: context.activity.id, err: error.message, stack: error.stack }, 'turn failed');
    metrics.turns.inc({ channel: context.activity.channelId, outcome: 'failed' });
    if (context.activity.type === 'message') {
      await context.sendActivity(translator(DEFAULT_LANGUAGE)('errors.turnFailed')).catch(() => undefined);
    }
  };

  // Teams is where counsellors work; every other channel is a student's.
  const route = (context: TurnContext) =>
    context.activity.channelId === 'msteams' ? metrics.timeTurn('msteams', () => counsellorBot.run(context)) : runStudentTurn(context);
  const server = createServer(
    {
      logger,
      maxRequestBytes: config.maxRequestBytes,
      requestsPerMinute: config.rateLimits.requestsPerMinute,
      processBotFramework: (req, res) => adapter.process(req, res, route),
      ready: () => db.ping(),
      extraRoutes: [(s) => metrics.mount(s, config.metricsToken), ...(whatsapp ? [(s: Server) => whatsapp.mountRoutes(s)] : [])],
    },
    inFlight,
  );

  const maintenance = async () => {
    await reports.cleanup();
    await removeExpiredConversations(db, { stateDays: config.reports.draftRetentionDays, recordDays: config.reports.retentionDays }, now(), logger);
    await reports.announcePending();
    await whatsapp?.cleanup();
  };
  const scheduler = new Scheduler(logger);

  let stopped = false;
  return {
    config,
    db,
    server,
    handbook,
    answerer,
    studentBot,
    counsellorBot,
    handoff,
    handoffs,
    adapter,
    reports,
    eraser,
    whatsapp,
    cipher,
    media,
    metrics,
    runMaintenance: maintenance,
    listen: async () => {
      // Retention runs at start and then every hour.
      scheduler.every('maintenance', 60 * 60_000, () => inFlight.track(maintenance), { runNow: true });
      if (whatsapp) scheduler.every('whatsapp-recovery', 30_000, () => inFlight.track(() => whatsapp.recover()), { runNow: true });
      scheduler.every('handoff-timeouts', 60_000, () => inFlight.track(() => handoff.sweep()));
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const address = server.address() as AddressInfo;
          logger.info({ event: 'listening', port: address.port, host: config.host }, `Stagemaatje listening on http://${config.host}:${address.port}`);
          resolve({ port: address.port, host: config.host });
        });
      });
    },
    stop: async () => {
      if (stopped) return;
      stopped = true;
      scheduler.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await inFlight.idle(10_000);
      if (data.ownsDb) await db.close();
      logger.info({ event: 'stopped' }, 'stopped cleanly');
    },
  };
}
