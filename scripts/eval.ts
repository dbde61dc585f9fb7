/**
 * npm run eval [-- --file path.tsv] [-- --verbose]
 * Top-1 accuracy (questions with a topic) and out-of-scope rejection (topic "none") per language,
 * on test/fixtures/questions-dev.tsv (a copy of ../shared/questions/dev.tsv) by default. Lines: topic<TAB>lang<TAB>question.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadHandbook } from '../src/handbook/content';
import { HandbookAnswerer } from '../src/handbook/answerer';
import { evaluate, formatEvaluation, readQuestionFile } from '../src/handbook/evaluation';
import { projectRoot } from '../src/paths';

const args = process.argv.slice(2);
const fileArg = args.indexOf('--file');
const file = fileArg >= 0 ? path.resolve(args[fileArg + 1] ?? '') : path.resolve(projectRoot(), 'test', 'fixtures', 'questions-dev.tsv');
if (!fs.existsSync(file)) {
  process.stderr.write(`No question file at ${file}. Pass one with --file <path>.\n`);
  process.exit(2);
}
const result = evaluate(new HandbookAnswerer(loadHandbook()), readQuestionFile(file));
process.stdout.write(formatEvaluation(file, result, args.includes('--verbose')));
