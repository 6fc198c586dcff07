// Lint rules: type-aware TypeScript checks, no `any` in our code, and the dependency graph
// (pure libraries must not import Nest, Prisma, BullMQ or each app) enforced with import bans.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const pureLibraries = [
  'libs/keys/src/**/*.ts',
  'libs/receipts/src/**/*.ts',
  'libs/audit/src/**/*.ts',
  'libs/x402/src/**/*.ts',
  'libs/policy/src/**/*.ts',
  'libs/ledger/src/**/*.ts',
  'libs/jobs/src/**/*.ts',
  'libs/webhooks/src/**/*.ts',
];

export default tseslint.config(
  {
    ignores: [
      'node_modules/**',
      'dist/**',
      'coverage/**',
      'libs/persistence/src/generated/**',
      'contracts/artifacts/**',
      '.proco/**',
      '**/*.mjs',
      '**/*.mts',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/require-await': 'off',
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Only libs/config reads process.env.',
        },
      ],
    },
  },
  {
    files: ['libs/config/src/**/*.ts', 'prisma.config.ts', 'scripts/**/*.ts', 'test/**/*.ts', '**/*.spec.ts'],
    rules: { 'no-restricted-syntax': 'off' },
  },
  {
    files: ['test/**/*.ts', '**/*.spec.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      '@typescript-eslint/unbound-method': 'off',
    },
  },
  {
    files: pureLibraries,
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: ['@nestjs/*', '@prisma/*', 'bullmq', 'ioredis', '@proco/persistence', '@proco/config'],
        },
      ],
    },
  },
);
