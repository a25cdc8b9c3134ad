#!/usr/bin/env node
'use strict';
// Entry point for `npx raftcache-server`: builds the TypeScript once if needed, then starts a node.
const path = require('path');
const fs = require('fs');
const root = path.join(__dirname, '..');
const main = path.join(root, 'dist', 'server', 'main.js');
if (!fs.existsSync(main)) {
  require('child_process').execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', root], { stdio: 'inherit' });
}
require(main).main(process.argv.slice(2));
