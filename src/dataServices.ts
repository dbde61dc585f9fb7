/**
 * The data layer on its own: database, encryption, reports, erasure. The bot (src/app.ts) is built
 * on top of it; command-line tools use it directly, without loading the bot and its dialogs.
 */
import type { Config } from './config';
import type { Logger } from './logger';
import { openDb, type Db } from './storage/db';
import { migrate } from './storage/migrations';
import { Cipher, loadMasterKey } from './storage/crypto';
import { ReportStore } from './reports/reportStore';
import { StateKeyRegistry, SubjectEraser } from './privacy/subjectEraser';
import { HandoffStore } from './handoff/handoffStore';
import { WhatsAppDataStore } from './channels/whatsapp/dataStore';

/** Largest evidence file a student can send (photos, screenshots, PDFs). */
export const MAX_EVIDENCE_BYTES = 10 * 1024 * 1024;

export interface DataOverrides {
  /** Use this database instead of opening one from config (tests share one PGlite). */
  db?: Db;
  /** A fixed clock (retention tests, dates relative to "today"). */
  now?: () => Date;
}

export interface DataServices {
  db: Db;
  /** True when the database was opened here (and must be closed here). */
  ownsDb: boolean;
  cipher: Cipher;
  reports: ReportStore;
  handoffs: HandoffStore;
  stateKeys: StateKeyRegistry;
  eraser: SubjectEraser;
  now: () => Date;
  /** Pseudonymous id of a student on a channel: the same person always gets the same id. */
  subjectId(channelId: string, userId: string): string;
  /** The user (and conversation) id a WhatsApp number gets in activities: never the number itself. */
  whatsAppUserId(waId: string): string;
  /** The subject id of a WhatsApp user, from their number (erasure on request). */
  whatsAppSubject(waId: string): string;
}

export const WHATSAPP_CHANNEL_ID = 'whatsapp';

export async function openDataServices(config: Config, logger: Logger, overrides: DataOverrides = {}): Promise<DataServices> {
  const db = overrides.db ?? (await openDb({ url: config.database.url, dataDir: config.dataDir, schema: config.database.schema }));
  const applied = await migrate(db);
  logger.info({ event: 'database_ready', engine: db.engine, migrationsApplied: applied }, 'database ready');

  const cipher = new Cipher(loadMasterKey(config.reports.encryptionKey, config.dataDir, logger));
  const now = overrides.now ?? (() => new Date());
  const reports = new ReportStore(
    db,
    cipher,
    { retentionDays: config.reports.retentionDays, draftRetentionDays: config.reports.draftRetentionDays, maxFileBytes: MAX_EVIDENCE_BYTES },
    logger,
    undefined,
    now,
  );
  const stateKeys = new StateKeyRegistry(db);
  const handoffs = new HandoffStore(db, cipher, now);
  // Every store that holds something of a student, so erasure from the chat and from the CLI is the same.
  const eraser = new SubjectEraser(logger);
  eraser.register(stateKeys);
  eraser.register(reports);
  eraser.register(handoffs);
  eraser.register(new WhatsAppDataStore(db));

  const subjectId = (channelId: string, userId: string) => cipher.pseudonym(`${channelId}:${userId}`);
  // A business-scoped user id (for WhatsApp users with a username) keeps its letters; a number only its digits.
  const whatsAppUserId = (waId: string) =>
    waId.startsWith('bsuid:')
      ? `wa-${cipher.pseudonym(`whatsapp-bsuid:${waId.slice('bsuid:'.length)}`)}`
      : `wa-${cipher.pseudonym(`whatsapp-user:${waId.replace(/\D/g, '')}`)}`;
  return {
    db,
    ownsDb: !overrides.db,
    cipher,
    reports,
    handoffs,
    stateKeys,
    eraser,
    now,
    subjectId,
    whatsAppUserId,
    whatsAppSubject: (waId) => subjectId(WHATSAPP_CHANNEL_ID, whatsAppUserId(waId)),
  };
}
