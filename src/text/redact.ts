/**
 * Removes personal data (e-mail addresses, phone numbers, bank accounts, postcodes, citizen numbers,
 * names a student introduces) from text that counsellors see in summaries.
 * Azure AI Language PII recognition when configured; the local rules always run as well.
 */
import type { TextAnalysisClient } from '@azure/ai-language-text';
import type { Logger } from '../logger';
import type { Lang, Translate } from '../i18n/i18n';

export interface PiiRedactor {
  redact(texts: string[], lang: Lang): Promise<string[]>;
}

type Label = 'email' | 'phone' | 'iban' | 'postcode' | 'number' | 'name' | 'link';

const RULES: Array<[RegExp, Label]> = [
  [/https?:\/\/\S+|www\.\S+/giu, 'link'],
  [/[\p{L}\p{N}._%+-]+@[\p{L}\p{N}.-]+\.[\p{L}]{2,}/giu, 'email'],
  [/\b[A-Z]{2}\d{2}\s?[A-Z]{4}(?:\s?\d{2,4}){2,5}\b/gi, 'iban'],
  [/(?:\+|00)\d{1,3}[\s.-]?\(?\d{1,4}\)?(?:[\s.-]?\d{2,4}){2,4}\b/g, 'phone'],
  [/\b0\d{1,3}[\s.-]?\d{3,4}[\s.-]?\d{2,4}\b/g, 'phone'],
  [/\b\d{4}\s?[A-Z]{2}\b/g, 'postcode'],
  [/\b\d{8,10}\b/g, 'number'],
];

// "ik heet Sara", "mijn naam is sara de Vries", "my name is Sara", "meneer Jansen", "Mrs. Smith"
const NAME_INTRO = /\b(ik heet|mijn naam is|m'n naam is|mn naam is|my name is|i am called|i'm called|meneer|mevrouw|mevr\.?|dhr\.?|mw\.?|mr\.?|mrs\.?|ms\.?|juf|meester)\s+([\p{L}'-]+)((?:\s+(?:[\p{Lu}][\p{L}'-]*|van|de|der|den|el|al|ben|bin|ter|ten)){0,3})/giu;

export function redactLocally(text: string, t: Translate): string {
  // The first word after the introduction is the name, whatever its case (students type lower case);
  // it continues with capitalised words and name particles ("de Vries", "El Amrani").
  let out = text.replace(NAME_INTRO, (_m, intro: string) => `${intro} [${t('redaction.name')}]`);
  for (const [pattern, label] of RULES) out = out.replace(pattern, `[${t(`redaction.${label}`)}]`);
  return out;
}

export class LocalPiiRedactor implements PiiRedactor {
  constructor(private readonly t: Translate) {}

  async redact(texts: string[]): Promise<string[]> {
    return texts.map((text) => redactLocally(text, this.t));
  }
}

export class AzurePiiRedactor implements PiiRedactor {
  constructor(
    private readonly client: Pick<TextAnalysisClient, 'analyze'>,
    private readonly local: LocalPiiRedactor,
    private readonly logger: Logger,
    private readonly timeoutMs = 3_000,
  ) {}

  async redact(texts: string[], lang: Lang): Promise<string[]> {
    if (texts.length === 0) return [];
    try {
      const results = await this.client.analyze('PiiEntityRecognition', texts, lang, {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
      const redacted = results.map((r, i) => (r.error ? texts[i]! : r.redactedText));
      return this.local.redact(redacted);
    } catch (err) {
      this.logger.warn({ event: 'pii_redaction_failed', err: (err as Error).message }, 'Azure PII recognition failed; using local redaction only');
      return this.local.redact(texts);
    }
  }
}

const QUOTED = /(["'`“”‘’])(.*?)(?:\1|(?=\.\.\.|…))/gs;

/**
 * Takes what a student typed out of an error before it is logged. Libraries quote their input in
 * error messages (JSON.parse: `Unexpected token 'F', "Fatima El "... is not valid JSON`; PostgreSQL:
 * `invalid input syntax for type uuid: "…"`), and error messages and stacks end up in the log.
 * Quoted parts (3+ characters) that occur in `typed`, and `typed` itself, become "[text]".
 * Changes the error's message and stack in place and returns it.
 */
export function withoutEchoedText<T>(err: T, typed: Array<string | undefined>): T {
  const texts = typed.filter((t): t is string => typeof t === 'string' && t.trim().length >= 3);
  if (texts.length === 0 || !(err instanceof Error)) return err;
  const scrub = (value: string): string => {
    let out = value.replace(QUOTED, (match, quote: string, inner: string) => {
      const fragment = inner.trim();
      return fragment.length >= 3 && texts.some((t) => t.includes(fragment)) ? `${quote}[text]${match.endsWith(quote) && match.length > 1 ? quote : ''}` : match;
    });
    for (const text of texts) out = out.split(text.trim()).join('[text]');
    return out;
  };
  try {
    err.message = scrub(err.message);
    if (typeof err.stack === 'string') err.stack = scrub(err.stack);
  } catch {
    // A frozen error: leave it.
  }
  return err;
}
