/**
 * The house's one rule: imports run down the data flow. A folder of
 * harness/ may import from folders before it in STAGES, never from one
 * after it; a circle of modules is allowed only inside one folder, with
 * its reason below. `npm run lint` runs this; see README, "How it works".
 */
const STAGES = [
  'host',
  'matrix',
  'kernel',
  'guest',
  'vmm',
  'console',
  'verdict',
  'test-kinds',
  'report',
  'history',
  'run',
  'doctor',
  'cli',
];

const upward = STAGES.slice(0, -1).map((stage, i) => ({
  name: `no-import-up-from-${stage}`,
  comment: `harness/${stage}/ comes before ${STAGES.slice(i + 1).join(', ')} in the data flow: it may not import from them`,
  severity: 'error',
  from: { path: `^harness/${stage}/` },
  to: { path: `^harness/(${STAGES.slice(i + 1).join('|')})/` },
}));

module.exports = {
  forbidden: [
    ...upward,
    {
      name: 'no-circle-between-folders',
      comment: 'a circle of imports that leaves its folder ties two stages together',
      severity: 'error',
      from: { path: '^harness/([^/]+)/' },
      to: { circular: true, viaSomeNot: '^harness/$1/' },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    includeOnly: '^harness/',
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
