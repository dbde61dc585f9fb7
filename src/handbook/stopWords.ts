/**
 * Words that carry no topic (pronouns, fillers), and chat spellings mapped to the written form, per
 * language. Question words (waar, wanneer, hoe, wie, waarom / where, when, how, who, why) are NOT stop
 * words: "waar meld ik" and "wat gebeurt er na mijn melding" differ mostly by them (measured: +3 to
 * +6 points top-1 accuracy). Words that do matter in our domain (e.g. "niet" in "niet uitgenodigd"
 * is still a stop word: the verb carries the meaning) were checked against the handbook questions.
 */
import type { Lang } from '../i18n/i18n';

const list = (words: string) => new Set(words.split(/\s+/).filter(Boolean));

export const STOP_WORDS: Record<Lang, Set<string>> = {
  nl: list(`
    aan al alle alles als alsjeblieft altijd ben bent bij daar dan dat de deze die dit doe doen doet door
    dus echt een eens eigenlijk en er even ff gaat gewoon had heb hebben hebt heeft het hier hij hoezo
    hun ik in is ja je jij jou jouw jullie kan kon kun kunnen maar me mee meer men met mij mijn mn moet moeten
    mag mogen na naar nee niet nog nou nu of ofzo om omdat ons ook op over sinds te tegen toch toen tot u uit
    van veel voor want waren was wat we wel welke wij wil willen word wordt worden zal ze
    zei zeggen zelf zich zij zijn zo zou zouden iets iemand eigen heel erg dingen ding gaan ga krijg krijgen
    kreeg hallo hoi hey hee goedemorgen goedemiddag graag vraag vragen weet weten beetje precies ok oke oké
    bro man joh hun hen wanneer welk elke zoiets sowieso trouwens misschien denk denken vind vinden
  `),
  en: list(`
    a about after all also am an and any are as at be been being but by can could did do does doing
    don dont for from get got had has have having he her here him his i if in into is it its just
    me might more much must my no not now of on or our out please really she should so some such than
    that the their them then there these they this those to too up us very was we were what where
    which will with would you your yours hi hello hey thanks thank ok okay yes yeah bro idk lol
    im ive id youre thats dunno gonna wanna kinda something anything things thing know tell question
    questions even still ever maybe think want actually anyway exactly though
  `),
};

export const SPELLING_VARIANTS: Record<Lang, Record<string, string>> = {
  nl: {
    kzou: 'zou', kweet: 'weet', tis: 'het', zn: 'zijn', wrm: 'waarom', idd: 'inderdaad', pff: '',
    hoofdoek: 'hoofddoek', discrimminatie: 'discriminatie',
    discriminatie: 'discriminatie', racistisch: 'racisme', racist: 'racisme', gediscrimeneerd: 'gediscrimineerd',
    zwangerschap: 'zwanger', meldpunt: 'melden', melding: 'melden', meldingen: 'melden', gemeld: 'melden',
  },
  en: {
    u: 'you', ur: 'your', r: 'are', pls: 'please', plz: 'please', coz: 'because', cuz: 'because',
    discriminated: 'discrimination', discriminating: 'discrimination', discriminate: 'discrimination',
    racist: 'racism', racists: 'racism', hijab: 'headscarf', pregnant: 'pregnancy', reporting: 'report',
    reported: 'report', reports: 'report', intern: 'internship', interns: 'internship', placement: 'internship',
  },
};

/**
 * Words that add nothing to a short question ("wie ben jij eigenlijk", "who are you actually"): left
 * out when a question made only of stop words is compared with the phrasings.
 */
export const FILLER_WORDS: Record<Lang, Set<string>> = {
  nl: list('eigenlijk even ff gewoon nou toch echt trouwens precies dan nog wel hoor eens zo dus ofzo sowieso'),
  en: list('actually even just really anyway then exactly please though so like again'),
};

/**
 * Question words: they help rank ("waar meld ik" vs "wat gebeurt er na mijn melding") but do not
 * make a question about our topics on their own ("hoe gaat het", "waar woon jij").
 */
export const QUESTION_WORDS: Record<Lang, Set<string>> = {
  nl: list('waar wanneer hoe wie waarom'),
  en: list('where when how who why'),
};
