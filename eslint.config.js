// ESLint for the whole TypeScript tree (`npm run lint`). Besides the recommended rules, it holds the
// architecture's import rules: raw Electron IPC only in the two transport files, and a renderer that
// imports nothing from Node and, on the electron side, only the contract, the pure metrics and file formats.
import js from '@eslint/js';
import reactHooks from 'eslint-plugin-react-hooks';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const NODE_BUILTINS = [
  'assert',
  'buffer',
  'child_process',
  'crypto',
  'events',
  'fs',
  'fs/promises',
  'http',
  'https',
  'module',
  'net',
  'os',
  'path',
  'process',
  'readline',
  'stream',
  'url',
  'util',
  'worker_threads',
  'zlib',
];

const nodeBuiltins = (message) => NODE_BUILTINS.map((name) => ({ name, message }));

const ipcOnlyInTransport = {
  name: 'electron',
  importNames: ['ipcMain', 'ipcRenderer'],
  message: 'Raw Electron IPC lives only in electron/transport/ipc-main.ts and ipc-renderer.ts; go through the typed contract.',
};

export default tseslint.config(
  {
    ignores: ['node_modules/**', 'dist/**', '.venv/**', 'test-results/**', 'native-models/**', 'resources/**', 'test/fixtures/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node }, ecmaVersion: 2023, sourceType: 'module' },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      'no-restricted-imports': ['error', { paths: [ipcOnlyInTransport] }],
      eqeqeq: ['error', 'smart'],
    },
  },
  {
    files: ['electron/transport/ipc-main.ts', 'electron/transport/ipc-renderer.ts'],
    rules: { 'no-restricted-imports': 'off' },
  },
  {
    // Code the renderer bundles must stay browser-safe.
    files: [
      'electron/contract/**/*.ts',
      'electron/engine/metrics/**/*.ts',
      'electron/engine/formats/**/*.ts',
      'electron/transport/wire-protocol.ts',
    ],
    ignores: ['**/*.test.ts', '**/testing/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [ipcOnlyInTransport, ...nodeBuiltins('Browser-safe module: the renderer imports it, so no Node modules.')],
          patterns: [{ group: ['node:*'], message: 'Browser-safe module: the renderer imports it, so no Node modules.' }],
        },
      ],
    },
  },
  {
    files: ['renderer/**/*.ts', 'renderer/**/*.tsx'],
    languageOptions: { globals: { ...globals.browser } },
    plugins: { 'react-hooks': reactHooks },
    rules: {
      ...reactHooks.configs.recommended.rules,
      // Flags passing a ref object as a JSX ref and reading refs in event handlers, both fine in React 19.
      'react-hooks/refs': 'off',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: 'electron', message: 'The renderer never imports Electron: it talks to the engine through the contract.' },
            ...nodeBuiltins('The renderer runs in a browser sandbox: no Node modules.'),
          ],
          patterns: [
            { group: ['node:*'], message: 'The renderer runs in a browser sandbox: no Node modules.' },
            {
              regex:
                '^(\\.\\./)+electron/(?!contract/|engine/metrics/|engine/formats/|transport/(wire-protocol|ws-client|bridge-client|rpc-client)\\.js)',
              message:
                'From the electron side the renderer imports only the contract, the pure metrics, the file formats and the client transports.',
            },
          ],
        },
      ],
    },
  },
);
