import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  { ignores: ['dist/**', '.runtime/**', 'node_modules/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['**/*.js'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', require: 'readonly', process: 'readonly', console: 'readonly' },
    },
  },
  {
    // The console runs in the browser as ES modules.
    files: ['console/**/*.js'],
    languageOptions: { sourceType: 'module', ecmaVersion: 2024, globals: globals.browser },
  },
  {
    // Playbooks run in Temporal's deterministic sandbox: no I/O, clocks or SDKs from there.
    files: ['workflows/**/*.ts', 'examples/playbooks/**/workflows.ts', 'playbooks/**/workflows.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['fs', 'node:*', 'http', 'https', 'crypto'],
              message: 'workflows must stay deterministic',
            },
            {
              group: [
                '../activities',
                '../activities/*',
                '../../activities',
                '../../activities/*',
                '../providers/*',
                '../providers/**',
                '../../providers/*',
                '../../providers/**',
              ],
              allowTypeImports: true,
              message: 'import only activity and provider types',
            },
          ],
        },
      ],
    },
  },
);
