#!/usr/bin/env node
'use strict';
// Writes every npm package.json from the two sources of truth: the version
// in ../Cargo.toml and the platform table in convex-scaffold/platforms.json.
// Run it after changing either: node npm/sync.js
// (tests/integration/distribution.rs fails when a package.json is stale.)

const fs = require('fs');
const path = require('path');

const NPM = __dirname;
const cargo = fs.readFileSync(path.join(NPM, '..', 'Cargo.toml'), 'utf8');
const version = /^\[package\][^[]*?^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];
const platforms = require('./convex-scaffold/platforms.json');

const common = {
  version,
  license: 'MIT OR Apache-2.0',
  homepage: 'https://github.com/convex-scaffold/convex-scaffold#readme',
  repository: { type: 'git', url: 'git+https://github.com/convex-scaffold/convex-scaffold.git' },
};

function write(dir, pkg) {
  fs.mkdirSync(path.join(NPM, dir), { recursive: true });
  fs.writeFileSync(path.join(NPM, dir, 'package.json'), `${JSON.stringify(pkg, null, 2)}\n`);
}

const optional = {};
for (const name of Object.values(platforms)) optional[name] = version;

write('convex-scaffold', {
  name: 'convex-scaffold',
  ...common,
  description:
    'Render a self-hosted Convex project and Coder workspace template with every known workaround applied',
  keywords: ['convex', 'coder', 'self-hosted', 'scaffold', 'devcontainer'],
  bin: { 'convex-scaffold': 'bin/convex-scaffold.js' },
  files: ['bin/', 'lib/', 'platforms.json'],
  engines: { node: '>=18' },
  optionalDependencies: optional,
});

write('create-convex-scaffold', {
  name: 'create-convex-scaffold',
  ...common,
  description: 'npm create convex-scaffold@latest my-app: convex-scaffold new my-app',
  keywords: ['convex', 'coder', 'create', 'scaffold'],
  bin: { 'create-convex-scaffold': 'bin/create-convex-scaffold.js' },
  files: ['bin/'],
  engines: { node: '>=18' },
  dependencies: { 'convex-scaffold': version },
});

for (const [key, name] of Object.entries(platforms)) {
  const [os, cpu] = key.split(' ');
  write(path.join('platforms', name), {
    name,
    ...common,
    description: `The ${os} ${cpu} binary of convex-scaffold (installed by the convex-scaffold package)`,
    os: [os],
    cpu: [cpu],
    files: ['bin/'],
    preferUnplugged: true,
  });
}
