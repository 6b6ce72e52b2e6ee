// A small rule set: the recommended rules of ESLint and typescript-eslint, plus what the project's
// own conventions need (logs through pino in src/, no floating debug output).
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'test-artifacts/', '.test-build/', 'bench/results/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      // Unused names are mistakes, except a leading underscore for a deliberately ignored parameter.
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
    },
  },
  // The web UI's scripts run in the browser; the build and bench scripts in Node.
  {
    files: ['src/**/assets/*.js', 'src/**/*.browser.js', 'src/infrastructure/http/**/*.js'],
    languageOptions: { globals: globals.browser, sourceType: 'script' },
  },
  { files: ['**/*.mjs', '**/*.cjs', 'jest.config.js', 'examples/**/*.js', 'test/**/*.js'], languageOptions: { globals: globals.node } },
  // TypeScript checks names itself (and knows Node's globals); ESLint's no-undef would only repeat it, wrongly.
  { files: ['**/*.ts'], rules: { 'no-undef': 'off' } },
  // Tests poke at untyped answers and load CommonJS helpers on purpose.
  // CommonJS on purpose: the reporter Jest loads, and the example plugin package as authors would write it.
  {
    files: ['test/**/*.js', 'examples/**/*.js'],
    languageOptions: { sourceType: 'commonjs' },
    rules: { '@typescript-eslint/no-require-imports': 'off', 'no-redeclare': ['error', { builtinGlobals: false }] },
  },
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-require-imports': 'off' } },
);
