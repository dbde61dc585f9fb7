/**
 * Counsellors' tool for reports.
 *
 *   npm run --silent reports -- list [--json]
 *   npm run --silent reports -- show <ref> [--json]
 *   npm run --silent reports -- export --format json|csv [--since YYYY-MM-DD]
 *   npm run --silent reports -- status <ref> <new-status> [--note "..."]
 *   npm run --silent reports -- erase <ref>
 *   npm run --silent reports -- erase-student <ref>          (everything about the student who made <ref>)
 *   npm run --silent reports -- erase-student --whatsapp <phone number>
 *
 * Data goes to standard output, messages to standard error. Exit code 0 on success, 1 when the
 * report was not found, 2 on a usage error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, loadConfig } from '../src/config';
import { createCliLogger } from '../src/logger';
import { openDataServices } from '../src/dataServices';
import { projectRoot } from '../src/paths';
import { REPORT_STATUSES } from '../src/reports/model';
import { REFERENCE_FORMAT } from '../src/reports/reference';
import { reportsToCsv, formatReport, formatReportList } from '../src/reports/reportFormat';
import { findReference } from '../dialogs/commands';

class UsageError extends Error {}

const USAGE = `Usage:
  reports list [--json]
  reports show <ref> [--json]
  reports export --format json|csv [--since YYYY-MM-DD]
  reports status <ref> <${REPORT_STATUSES.join('|')}> [--note "..."]
  reports erase <ref>
  reports erase-student <ref> | --whatsapp <phone number>`;

function reference(value: string | undefined): string {
  const ref = value ? (findReference(value) ?? value.toUpperCase()) : '';
  if (!REFERENCE_FORMAT.test(ref)) throw new UsageError(`"${value ?? ''}" is not a reference number like SM-7K2D-QX9P`);
  return ref;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      json: { type: 'boolean', default: false },
      format: { type: 'string' },
      since: { type: 'string' },
      note: { type: 'string' },
      whatsapp: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [command, ...args] = positionals;
  if (values.help || !command) {
    process.stdout.write(`${USAGE}\n`);
    return command || values.help ? 0 : 2;
  }

  const envFile = path.join(projectRoot(), '.env');
  if (fs.existsSync(envFile)) process.loadEnvFile(envFile);
  const app = await openDataServices(loadConfig(), createCliLogger());
  const out = (text: string) => process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  try {
    switch (command) {
      case 'list': {
        const reports = await app.reports.list();
        out(values.json ? JSON.stringify(reports, null, 2) : formatReportList(reports));
        return 0;
      }
      case 'show': {
        const report = await app.reports.show(reference(args[0]));
        if (!report) {
          process.stderr.write(`No report ${args[0]}.\n`);
          return 1;
        }
        out(values.json ? JSON.stringify(report, null, 2) : formatReport(report));
        return 0;
      }
      case 'export': {
        const format = z.enum(['json', 'csv']).safeParse(values.format);
        if (!format.success) throw new UsageError('export needs --format json or --format csv');
        let since: Date | undefined;
        if (values.since !== undefined) {
          if (!/^\d{4}-\d{2}-\d{2}$/.test(values.since) || Number.isNaN(Date.parse(`${values.since}T00:00:00Z`))) {
            throw new UsageError(`--since must be a date like 2026-01-31, not "${values.since}"`);
          }
          since = new Date(`${values.since}T00:00:00Z`);
        }
        const reports = await app.reports.export(since);
        out(format.data === 'json' ? JSON.stringify(reports, null, 2) : reportsToCsv(reports));
        return 0;
      }
      case 'status': {
        const ref = reference(args[0]);
        const status = z.enum(REPORT_STATUSES).safeParse(args[1]);
        if (!status.success) throw new UsageError(`the new status must be one of: ${REPORT_STATUSES.join(', ')}`);
        const changed = await app.reports.setStatus(ref, status.data, 'counsellor', values.note);
        if (!changed) {
          process.stderr.write(`No report ${ref}.\n`);
          return 1;
        }
        process.stderr.write(`${ref} is now "${status.data}". The student sees this when they ask for the status.\n`);
        return 0;
      }
      case 'erase': {
        const ref = reference(args[0]);
        if (!(await app.reports.erase(ref))) {
          process.stderr.write(`No report ${ref}.\n`);
          return 1;
        }
        process.stderr.write(`${ref} has been erased. Only an anonymous count remains.\n`);
        return 0;
      }
      case 'erase-student': {
        let subject: string | undefined;
        if (values.whatsapp) {
          const digits = values.whatsapp.replace(/\D/g, '');
          if (digits.length < 8) throw new UsageError('--whatsapp needs a phone number with country code, e.g. 31612345678');
          subject = app.whatsAppSubject(digits);
        } else {
          subject = await app.reports.ownerOf(reference(args[0] ?? ''));
          if (!subject) {
            process.stderr.write(`No report ${args[0]}.\n`);
            return 1;
          }
        }
        const removed = await app.eraser.erase(subject);
        process.stderr.write(`Erased everything about this student: ${JSON.stringify(removed)}\n`);
        return 0;
      }
      default:
        throw new UsageError(`unknown command "${command}"`);
    }
  } finally {
    if (app.ownsDb) await app.db.close();
  }
}

main()
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    if (err instanceof UsageError) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      process.exit(2);
    }
    if (err instanceof ConfigError) {
      for (const problem of err.problems) process.stderr.write(`${problem}\n`);
      process.exit(2);
    }
    process.stderr.write(`reports failed: ${err.message}\n`);
    process.exit(1);
  });
