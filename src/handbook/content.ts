/**
 * The handbook: one YAML file per topic and language under content/handbook/<lang>/, and one
 * organisations file with contact details (kept apart so a deployer can update a phone number
 * without touching any answer). Everything is validated by zod when it is loaded.
 */
import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { SUPPORTED_LANGUAGES, type Lang } from '../i18n/i18n';
import { projectRoot } from '../paths';

export const FOLLOW_UP_ACTIONS = ['report', 'counsellor', 'evidence', 'privacy'] as const;
export type FollowUpAction = (typeof FOLLOW_UP_ACTIONS)[number];

const topicId = z.string().regex(/^[a-z0-9]+(?:-[a-z0-9]+)*$/, 'topic ids are lower-case words joined by hyphens');

const entrySchema = z
  .object({
    id: topicId,
    section: z.string().regex(/^\d+\.\d+$/, 'section looks like "2.4"'),
    title: z.string().min(2).max(24),
    answer: z.string().min(40),
    phrasings: z.array(z.string().min(2)).min(3),
    keywords: z.array(z.string().min(2)).default([]),
    related: z.array(topicId).default([]),
    contacts: z.array(z.string()).default([]),
    actions: z.array(z.enum(FOLLOW_UP_ACTIONS)).default([]),
    sources: z.array(z.object({ title: z.string(), url: z.string().url().optional() }).strict()),
  })
  .strict();

export type HandbookEntry = z.infer<typeof entrySchema> & { lang: Lang };

const localized = z.object({ nl: z.string(), en: z.string() }).strict();

const organisationSchema = z
  .object({
    id: z.string(),
    name: localized,
    description: localized.optional(),
    website: z.string().url().optional(),
    phone: z.string().optional(),
    hours: localized.optional(),
    email: z.string().email().optional(),
    note: localized.optional(),
  })
  .strict();

const organisationsFileSchema = z
  .object({
    lastChecked: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
    organisations: z.array(organisationSchema).min(1),
  })
  .strict();

export type Organisation = z.infer<typeof organisationSchema>;

/** Organisations the crisis message needs; the handbook does not load without their numbers. */
export const CRISIS_ORGANISATIONS = { phone113: '113-zelfmoordpreventie', phoneKindertelefoon: 'kindertelefoon', phone112: 'alarmnummer-112' } as const;

const outOfScopeSchema = z.object({ nl: z.array(z.string().min(2)).min(1), en: z.array(z.string().min(2)).min(1) }).strict();

export interface Handbook {
  entries: Record<Lang, HandbookEntry[]>;
  /** Questions the handbook does not answer (content/out-of-scope.yaml), so the bot can recognise them. */
  outOfScope: Record<Lang, string[]>;
  organisations: Map<string, Organisation>;
  organisationsLastChecked: string;
  byId(lang: Lang, id: string): HandbookEntry | undefined;
  /** Phone numbers for the crisis message: { phone113, phoneKindertelefoon, phone112 }. */
  crisisNumbers: Record<keyof typeof CRISIS_ORGANISATIONS, string>;
}

function readYaml(file: string): unknown {
  try {
    return YAML.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function loadHandbook(dir = path.join(projectRoot(), 'content')): Handbook {
  const problems: string[] = [];
  const orgFile = path.join(dir, 'organisations.yaml');
  const orgParsed = organisationsFileSchema.safeParse(readYaml(orgFile));
  if (!orgParsed.success) throw new Error(`${orgFile}: ${z.prettifyError(orgParsed.error)}`);
  const organisations = new Map(orgParsed.data.organisations.map((o) => [o.id, o]));

  const outOfScopeFile = path.join(dir, 'out-of-scope.yaml');
  const outOfScope = outOfScopeSchema.safeParse(readYaml(outOfScopeFile));
  if (!outOfScope.success) throw new Error(`${outOfScopeFile}: ${z.prettifyError(outOfScope.error)}`);

  const entries = {} as Record<Lang, HandbookEntry[]>;
  for (const lang of SUPPORTED_LANGUAGES) {
    const langDir = path.join(dir, 'handbook', lang);
    entries[lang] = fs
      .readdirSync(langDir)
      .filter((f) => f.endsWith('.yaml'))
      .sort()
      .flatMap((file) => {
        const parsed = entrySchema.safeParse(readYaml(path.join(langDir, file)));
        if (!parsed.success) {
          problems.push(`${lang}/${file}: ${z.prettifyError(parsed.error)}`);
          return [];
        }
        if (`${parsed.data.id}.yaml` !== file) problems.push(`${lang}/${file}: id "${parsed.data.id}" does not match the file name`);
        return [{ ...parsed.data, lang }];
      });
  }

  const ids = (lang: Lang) => new Set(entries[lang].map((e) => e.id));
  const reference = ids(SUPPORTED_LANGUAGES[0]);
  for (const lang of SUPPORTED_LANGUAGES) {
    const own = ids(lang);
    for (const id of reference) if (!own.has(id)) problems.push(`${lang}: topic "${id}" is missing`);
    for (const entry of entries[lang]) {
      for (const rel of entry.related) if (!own.has(rel)) problems.push(`${lang}/${entry.id}: related topic "${rel}" does not exist`);
      for (const c of entry.contacts) if (!organisations.has(c)) problems.push(`${lang}/${entry.id}: organisation "${c}" is not in organisations.yaml`);
    }
  }
  for (const id of Object.values(CRISIS_ORGANISATIONS)) {
    if (!organisations.get(id)?.phone) problems.push(`organisations.yaml: "${id}" needs a phone number (used in the crisis message)`);
  }
  if (problems.length > 0) throw new Error(`The handbook has problems:\n${problems.join('\n')}`);

  const index = new Map<string, HandbookEntry>();
  for (const lang of SUPPORTED_LANGUAGES) for (const e of entries[lang]) index.set(`${lang}:${e.id}`, e);
  return {
    entries,
    outOfScope: outOfScope.data,
    organisations,
    organisationsLastChecked: orgParsed.data.lastChecked,
    byId: (lang, id) => index.get(`${lang}:${id}`),
    crisisNumbers: Object.fromEntries(
      Object.entries(CRISIS_ORGANISATIONS).map(([key, id]) => [key, organisations.get(id)?.phone ?? '']),
    ) as Handbook['crisisNumbers'],
  };
}
