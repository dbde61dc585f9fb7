/**
 * What a report holds, as strict zod schemas. A draft may be incomplete; a submitted report must be
 * complete, has no unknown fields, and may only carry grounds (origin, religion, health, sexual
 * orientation: special-category data) when the student gave consent for that question.
 */
import { z } from 'zod';

export const ROLES = ['victim', 'witness'] as const;
export const MOMENTS = ['searching', 'interview', 'during', 'school', 'other'] as const;
export const GROUNDS = ['origin', 'religion', 'gender', 'orientation', 'disability', 'age', 'nationality', 'other', 'unsure'] as const;
export const LEVELS = ['mbo', 'hbo', 'wo', 'other'] as const;
/** sending: the student is sending files now; sent: they finished sending. */
export const EVIDENCE_STATUSES = ['sending', 'sent', 'later', 'none', 'described'] as const;
export const WISHES = ['heard', 'advice', 'mediation', 'address', 'register'] as const;
export const CONTACT_METHODS = ['chat', 'email', 'phone', 'anonymous'] as const;
export const DATE_PRECISIONS = ['day', 'week', 'month', 'year', 'unknown'] as const;
export const REPORT_STATUSES = ['received', 'in_progress', 'waiting_for_student', 'closed', 'withdrawn'] as const;

export type Role = (typeof ROLES)[number];
export type Moment = (typeof MOMENTS)[number];
export type Ground = (typeof GROUNDS)[number];
export type Level = (typeof LEVELS)[number];
export type Wish = (typeof WISHES)[number];
export type ContactMethod = (typeof CONTACT_METHODS)[number];
export type ReportStatus = (typeof REPORT_STATUSES)[number];

/** Bumped whenever the consent text in the locales changes, so each record says what was agreed to. */
export const CONSENT_TEXT_VERSION = '2026-11-25.1';

export const consentSchema = z
  .object({
    given: z.boolean(),
    at: z.string().datetime(),
    textVersion: z.string().min(1),
    lang: z.string().min(2).max(5),
  })
  .strict();
export type ConsentRecord = z.infer<typeof consentSchema>;

export const incidentDateSchema = z
  .object({
    /** YYYY-MM-DD: the day, or the first day of the week/month/year when less precise. */
    date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/).optional(),
    precision: z.enum(DATE_PRECISIONS),
    /** What the student typed. */
    text: z.string().max(200),
  })
  .strict();
export type IncidentDate = z.infer<typeof incidentDateSchema>;

export const fileRefSchema = z
  .object({
    mediaId: z.string().uuid(),
    contentType: z.string().max(200),
    bytes: z.number().int().nonnegative(),
  })
  .strict();
export type FileRef = z.infer<typeof fileRefSchema>;

export const draftSchema = z
  .object({
    description: z.string().min(1).max(4000).optional(),
    role: z.enum(ROLES).optional(),
    when: incidentDateSchema.optional(),
    moment: z.enum(MOMENTS).optional(),
    /** '' when the student preferred not to say. */
    organisation: z.string().max(300).optional(),
    consent: consentSchema.optional(),
    grounds: z.array(z.enum(GROUNDS)).max(GROUNDS.length).optional(),
    level: z.enum(LEVELS).optional(),
    /** '' when skipped. */
    school: z.string().max(200).optional(),
    evidence: z
      .object({
        status: z.enum(EVIDENCE_STATUSES),
        description: z.string().max(2000).optional(),
        files: z.array(fileRefSchema).max(20),
      })
      .strict()
      .optional(),
    wishes: z.array(z.enum(WISHES)).max(WISHES.length).optional(),
    contact: z
      .object({
        method: z.enum(CONTACT_METHODS),
        value: z.string().max(200).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type Draft = z.infer<typeof draftSchema>;

/** A complete report, as it is submitted. */
export const submissionSchema = draftSchema
  .extend({
    description: z.string().min(1).max(4000),
    role: z.enum(ROLES),
    when: incidentDateSchema,
    moment: z.enum(MOMENTS),
    organisation: z.string().max(300),
    consent: consentSchema,
    level: z.enum(LEVELS).optional(),
    school: z.string().max(200),
    evidence: draftSchema.shape.evidence.unwrap(),
    wishes: z.array(z.enum(WISHES)).max(WISHES.length),
    contact: draftSchema.shape.contact.unwrap(),
  })
  .strict()
  .superRefine((report, ctx) => {
    if (report.grounds && report.grounds.length > 0 && !report.consent.given) {
      ctx.addIssue({ code: 'custom', path: ['grounds'], message: 'grounds may only be stored with consent' });
    }
    const { method, value } = report.contact;
    if ((method === 'email' || method === 'phone') && !value) {
      ctx.addIssue({ code: 'custom', path: ['contact', 'value'], message: `${method} needs an address` });
    }
    if ((method === 'chat' || method === 'anonymous') && value) {
      ctx.addIssue({ code: 'custom', path: ['contact', 'value'], message: 'no address is kept for this contact method' });
    }
  });
export type Submission = z.infer<typeof submissionSchema>;

/** The parts of a report that are stored in the clear: codes only, never the student's words. */
export interface ReportFacts {
  role: Role;
  moment: Moment;
  grounds: Ground[];
  level?: Level;
  wishes: Wish[];
  contactMethod: ContactMethod;
  anonymous: boolean;
  incidentDate?: string;
  datePrecision: IncidentDate['precision'];
  evidenceStatus: (typeof EVIDENCE_STATUSES)[number];
  fileCount: number;
}

/** The parts stored encrypted: what the student typed. */
export interface ReportContent {
  description: string;
  organisation: string;
  school: string;
  whenText: string;
  evidenceDescription?: string;
  contactValue?: string;
  files: FileRef[];
}

export function splitSubmission(s: Submission): { facts: ReportFacts; content: ReportContent } {
  return {
    facts: {
      role: s.role,
      moment: s.moment,
      grounds: s.consent.given ? (s.grounds ?? []) : [],
      level: s.level,
      wishes: s.wishes,
      contactMethod: s.contact.method,
      anonymous: s.contact.method === 'anonymous',
      incidentDate: s.when.date,
      datePrecision: s.when.precision,
      evidenceStatus: s.evidence.status,
      fileCount: s.evidence.files.length,
    },
    content: {
      description: s.description,
      organisation: s.organisation,
      school: s.school,
      whenText: s.when.text,
      evidenceDescription: s.evidence.description,
      contactValue: s.contact.value,
      files: s.evidence.files,
    },
  };
}
