// The shape rules of DESIGN.md "Layout", checked by `npm test` (test/shape.test.ts)
// and by `npm run depcheck`. Type-only imports count: a type cycle is still a cycle.
/**
 * The contract: the outer surface (api.ts), the nouns every stage shares (contracts.ts),
 * the answer shapes of the Queue/security/routing pages (types/) and the settings'
 * shape (config/schema.ts, a leaf over zod).
 */
const CONTRACT = '^engine/(api\\.ts|contracts\\.ts|types/|config/(schema|modes|names)\\.ts)';
/** Everything in engine/ but the adapters (cli, console, host) and the wiring that implements EngineApi. */
const STAGES = '^engine/(?!api\\.ts$|engine\\.ts$|index\\.ts$|cli/|console/|host/)';

module.exports = {
  forbidden: [
    {
      name: 'no-engine-folder-cycle',
      comment: 'Data flows one way: two engine folders that import each other hide a missing type or event (STYLE.md §1).',
      severity: 'error',
      scope: 'folder',
      from: { path: '^engine/' },
      to: { path: '^engine/', circular: true },
    },
    {
      name: 'no-module-cycle',
      comment: 'No cycle between engine modules either (a type cycle included).',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: '^engine/', circular: true },
    },
    {
      name: 'stage-not-to-api',
      comment: 'Stages share engine/contracts.ts; engine/api.ts is the outer surface only the adapters use.',
      severity: 'error',
      from: { path: STAGES },
      to: { path: '^engine/api\\.ts$' },
    },
    {
      name: 'api-is-a-leaf',
      comment: 'The contract (api.ts and what it names) imports only the contract, never an implementation.',
      severity: 'error',
      from: { path: CONTRACT },
      // Node's own modules (node:net for names.ts) are no implementation of ours.
      to: { pathNot: [CONTRACT, '(^|/)node_modules/zod/'], dependencyTypesNot: ['core'] },
    },
    {
      name: 'engine-not-to-ui',
      comment: 'engine/ is plain Node: never electron, react or the renderer.',
      severity: 'error',
      from: { path: '^engine/' },
      to: { path: ['^electron/', '^renderer/', '(^|/)node_modules/(electron|react|react-dom|@mantine/[^/]+)/', '^(electron|react|react-dom|@mantine/.+)$'] },
    },
    {
      name: 'renderer-only-contract',
      comment: 'The renderer sees the engine only through its contract (engine/api.ts and the types it names).',
      severity: 'error',
      from: { path: '^renderer/' },
      to: { path: '^engine/', pathNot: CONTRACT },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    exclude: { path: '(^|/)(dist|test)/' },
  },
};
