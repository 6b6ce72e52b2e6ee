/**
 * The layering of docs/design.md, checked on every `npm test` (`npm run lint:deps`).
 *
 *   src/domain          pure rules: imports nothing but itself
 *   src/application     use cases and ports: may use the domain, never an adapter
 *   src/infrastructure  adapters: may use everything above
 *   src/projections     read models fed from the event log
 *   src/plugins         channels: only the public plugin interface (src/plugins/registry is the host side)
 *
 * Paths are matched on what dependency-cruiser resolved: project files as `src/...`, packages
 * as `node_modules/<name>/...`, packages that are not installed by their bare name, Node's own
 * modules by their name without `node:`.
 */

/** Frameworks and storage drivers: a module that needs one of these is an adapter. */
const FRAMEWORKS_AND_DRIVERS = [
  '@nestjs/.+',
  'mongoose',
  'mongodb',
  'better-sqlite3',
  '@eventstore/.+',
  'bull',
  'bullmq',
  'ioredis',
  'redis',
  'pino',
  'fastify',
  '@fastify/.+',
  'nodemailer',
  'smtp-server',
];
const STORAGE_DRIVERS = ['mongoose', 'mongodb', 'better-sqlite3', '@eventstore/.+', 'bull', 'bullmq', 'ioredis', 'redis'];

/** Matches a package whether it resolved into node_modules or could not be resolved at all. */
const packages = (names) => `(^|/)node_modules/(${names.join('|')})(/|$)|^(${names.join('|')})(/|$)`;

/** Node modules that touch the outside world (disk, network, processes, terminal, clock-free randomness is fine). */
const NODE_IO_MODULES = [
  'fs',
  'fs/promises',
  'net',
  'tls',
  'dgram',
  'dns',
  'dns/promises',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'worker_threads',
  'readline',
  'repl',
  'inspector',
  'os',
  'process',
  'vm',
  'v8',
  'tty',
  'module',
  'sqlite',
];

module.exports = {
  forbidden: [
    {
      name: 'domain-not-to-outer-layers',
      comment:
        'src/domain holds the inbox rules as pure functions. It must not know about use cases, adapters, ' +
        'read models or channels: move the shared type into src/domain, or the code that needs the outer layer out of it.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: '^src/(application|infrastructure|plugins|projections)/' },
    },
    {
      name: 'domain-no-frameworks-or-drivers',
      comment:
        'src/domain is framework-free TypeScript (no NestJS decorators, no database drivers, no logger) so every rule ' +
        'is unit-tested without mocks. Put the framework glue in src/application or an adapter in src/infrastructure.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { path: packages(FRAMEWORKS_AND_DRIVERS) },
    },
    {
      name: 'domain-no-io',
      comment:
        'src/domain performs no I/O (files, network, processes, environment). Time and randomness arrive as arguments; ' +
        'anything that reads or writes the world is an adapter behind a port in src/application/ports.',
      severity: 'error',
      from: { path: '^src/domain/' },
      to: { dependencyTypes: ['core'], path: `^(node:)?(${NODE_IO_MODULES.join('|')})$` },
    },
    {
      name: 'application-not-to-adapters',
      comment:
        'src/application owns the ports (interfaces) and reaches adapters only through DI tokens. Importing ' +
        'src/infrastructure or src/plugins here couples a use case to one engine or channel: depend on the port instead.',
      severity: 'error',
      from: { path: '^src/application/' },
      to: { path: '^src/(infrastructure|plugins)/' },
    },
    {
      name: 'plugins-only-public-interface',
      comment:
        'A channel plugin gets a narrow connection from the host (ingest, its config, a logger, route mounting) and never ' +
        'touches adapters, read models or the event-store/read-store/job-queue ports: built-in plugins must be writable ' +
        'the way third-party ones are.',
      severity: 'error',
      // src/plugins/registry is the host side of the interface (it mounts routes, owns the registry).
      from: { path: '^src/plugins/', pathNot: '^src/plugins/registry/' },
      to: {
        path: ['^src/(infrastructure|projections)/', '^src/application/ports/(event-store|read-store|job-queue)\\.port\\.ts$', packages(STORAGE_DRIVERS)],
      },
    },
    {
      name: 'plugin-folders-only-public-interface',
      comment:
        'A channel (src/plugins/<id>/) and the conformance kit (src/plugins/testing/) use only the public plugin ' +
        'interface (src/plugins/channel-plugin.ts and its sibling files) and their own folder, exactly as a third-party ' +
        "npm package can: no application ports, no domain, no other plugin, no registry. src/plugins/meta/ (Meta's " +
        'webhook signature and Graph API calls, shared by Messenger and WhatsApp) is such a library itself: it too uses only the interface.',
      severity: 'error',
      from: { path: '^src/plugins/([^/]+)/', pathNot: '^src/plugins/registry/' },
      to: { path: '^src/', pathNot: ['^src/plugins/$1/', '^src/plugins/[^/]+\\.ts$', '^src/plugins/meta/'] },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import that does not resolve slips past every rule above (its path is not src/...). Fix the path, ' + 'or add the package to package.json.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'no-circular',
      comment:
        'Circular imports make module load order matter (a class is undefined at decoration time) and hide layering ' +
        'mistakes. Break the cycle by moving the shared piece into the lower module or behind an interface.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count too: a domain type that imports an adapter's type is still coupled to it.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.d.ts', '.js', '.cjs', '.mjs', '.json'],
    },
    reporterOptions: {
      text: { highlightFocused: true },
    },
  },
};
