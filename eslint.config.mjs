// Lint rules: typescript-eslint's recommended set, plus a guard against focused tests.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2022, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-restricted-properties': [
        'error',
        { object: 'describe', property: 'only', message: 'Focused tests make CI run only part of the suite.' },
        { object: 'it', property: 'only', message: 'Focused tests make CI run only part of the suite.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Read configuration through src/config.ts, not process.env.',
        },
      ],
    },
  },
  {
    files: ['src/config.ts', 'src/index.ts', 'scripts/**', 'test/**'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
