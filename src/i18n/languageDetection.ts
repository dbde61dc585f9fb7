/**
 * Which language is a student writing in? Azure AI Language when configured, a local detector otherwise.
 *
 * The local detector only has to tell our supported languages apart (Dutch, English) in short chat
 * messages, where general-purpose n-gram detectors (franc, cld) are unreliable below ~20 characters.
 * It scores function words and spelling patterns that are typical for one language and rare in the other.
 */
import type { TextAnalysisClient } from '@azure/ai-language-text';
import type { Logger } from '../logger';
import { keywordForm } from '../text/normalize';
import { isLang, type Lang } from './i18n';

export interface LanguageGuess {
  lang: Lang;
  /** 0..1 */
  confidence: number;
}

export interface LanguageDetector {
  detect(text: string): Promise<LanguageGuess | undefined>;
}

const WORDS: Record<Lang, string> = {
  nl: `ik je jij jou jouw mijn mn m'n u het de een niet geen wat hoe waarom wie waar wanneer welke kan kun kunnen mag
    mogen moet moeten ben bent zijn heb hebt heeft hebben was waren van voor met op bij dat die dit deze er maar ook
    als om naar wordt word worden nog wel al nu dan toen omdat want zo heel echt gewoon iets niks niemand iemand
    zij ze hij hun hen wij jullie mij zich zou zouden gaan ga gaat doe doen doet krijg krijgen kreeg weet weten
    zeggen zei zegt bedrijf stageplek stagebegeleider melden melding gemeld vraag vragen graag hoi hallo dank
    bedankt alsjeblieft sorry ja nee oke goed slecht mensen afgewezen gediscrimineerd school opleiding leraar
    docent werk baas collega collega's klas uit aan tegen over onder tussen door zonder na sinds tot elke alle
    veel weinig meer minder waarom hoezo eigenlijk misschien denk vind voel`,
  en: `i you your my the a an not no what how why who where when which can could may might must am are was were
    have has had of for with on at that this these those there but also if to do does did don't doesn't didn't
    be been being will would should get got they them their he she his her we our us it its from about into
    just really because so very something nothing nobody somebody anyone company internship placement report
    reported question please thanks thank hello yes yeah okay good bad people rejected discriminated teacher
    work boss colleague class against over under between through without after since until every all many
    much more less maybe think feel want know say said tell told`,
};

const SHARED = new Set(['is', 'in', 'me', 'we', 'school', 'stage', 'ok', 'hi', 'hey', 'sorry', 'op', 'over', 'die', 'had', 'was']);

const LEXICON = new Map<string, Lang>();
for (const lang of ['nl', 'en'] as const) {
  for (const word of WORDS[lang].split(/\s+/).filter(Boolean)) {
    if (!SHARED.has(word) && !LEXICON.has(word)) LEXICON.set(word, lang);
  }
}

const PATTERNS: Record<Lang, RegExp[]> = {
  nl: [/ij/, /oe/, /ui/, /aa/, /uu/, /sch/, /cht/, /eu/, /ie\b/, /\bge\w{3,}d\b/, /\w+tje\b/, /\w+heid\b/, /\w+lijk\b/],
  en: [/th/, /wh/, /\w+ing\b/, /\w+tion\b/, /\w+ly\b/, /\w+ed\b/, /'s\b/, /\bsh/, /ck\b/, /\w+ous\b/],
};

export class LocalLanguageDetector implements LanguageDetector {
  async detect(text: string): Promise<LanguageGuess | undefined> {
    return detectLocally(text);
  }
}

export function detectLocally(text: string): LanguageGuess | undefined {
  const words = keywordForm(text.replace(/’/g, "'")).split(/\s+/).filter((w) => w.length > 0);
  const score: Record<Lang, number> = { nl: 0, en: 0 };
  for (const word of words) {
    const lang = LEXICON.get(word);
    if (lang) score[lang] += 2;
    for (const l of ['nl', 'en'] as const) {
      for (const pattern of PATTERNS[l]) if (pattern.test(word)) score[l] += 0.5;
    }
  }
  const total = score.nl + score.en;
  if (total < 2) return undefined;
  const lang: Lang = score.nl >= score.en ? 'nl' : 'en';
  const confidence = Math.abs(score.nl - score.en) / total;
  return { lang, confidence };
}

export class AzureLanguageDetector implements LanguageDetector {
  constructor(
    private readonly client: Pick<TextAnalysisClient, 'analyze'>,
    private readonly fallback: LanguageDetector,
    private readonly logger: Logger,
    private readonly timeoutMs = 2_000,
  ) {}

  async detect(text: string): Promise<LanguageGuess | undefined> {
    try {
      const [result] = await this.client.analyze('LanguageDetection', [text], 'NL', {
        abortSignal: AbortSignal.timeout(this.timeoutMs),
      });
      if (!result || result.error) throw new Error(result?.error?.message ?? 'no result');
      const code = result.primaryLanguage.iso6391Name;
      if (!isLang(code)) return undefined;
      return { lang: code, confidence: result.primaryLanguage.confidenceScore };
    } catch (err) {
      this.logger.warn({ event: 'language_detection_failed', err: (err as Error).message }, 'Azure language detection failed; using the local detector');
      return this.fallback.detect(text);
    }
  }
}

/**
 * Decides the language for this turn. A short message ("ok", "ja", "thanks") never flips the
 * language; a longer one does when the detector is confident.
 */
export function chooseLanguage(current: Lang | undefined, text: string, guess: LanguageGuess | undefined, fallback: Lang): Lang {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const substantial = words.length >= 3 && text.replace(/\s/g, '').length >= 12;
  if (guess && substantial && guess.confidence >= 0.5) return guess.lang;
  if (!current && guess && guess.confidence >= 0.8 && words.length >= 2) return guess.lang;
  return current ?? fallback;
}
