import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import rolegate from './eslint/layers.js';

// Kysely query-builder calls: allowed only in store modules (<capability>/store.ts or <capability>/store/*.ts,
// src/adapters/store/).
const queryBuilder = [
  {
    selector:
      'CallExpression[callee.property.name=/^(selectFrom|insertInto|updateTable|deleteFrom|replaceInto|mergeInto)$/]',
    message: 'Queries belong in a store module (`<capability>/store.ts` or src/adapters/store/).',
  },
  {
    selector: "TaggedTemplateExpression[tag.name='sql']",
    message: 'Raw SQL belongs in a store module (`<capability>/store.ts` or src/adapters/store/).',
  },
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'data/**',
      'artifacts/**',
      'dist/**',
      'web/dist/**',
      'test/fixtures/lint/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-console': 'off',
    },
  },
  {
    files: ['bin/**/*.js', 'scripts/**/*.mjs', 'packages/*/bin/**/*.js', 'eslint/**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
  // The product's source: layers, no cycles, small files and functions (decision 0012).
  {
    files: ['src/**/*.ts'],
    plugins: { rolegate },
    rules: {
      'rolegate/layers': 'error',
      'rolegate/no-cycle': 'error',
      'max-lines': ['error', { max: 400, skipBlankLines: true, skipComments: true }],
      'max-lines-per-function': ['error', { max: 80, skipBlankLines: true, skipComments: true }],
      'no-restricted-syntax': ['error', ...queryBuilder],
    },
  },
  {
    files: ['src/**/store.ts', 'src/app/*/store/**/*.ts', 'src/adapters/store/**/*.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
);
