import { expect } from 'chai';
import * as fs from 'fs';
import * as path from 'path';

/** The repository root, whether the test runs from source or from dist/. */
function repoRoot(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) {
    const up = path.dirname(dir);
    if (up === dir) throw new Error('package.json not found');
    dir = up;
  }
  return dir;
}

describe('raft/purity', () => {
  it('the core imports nothing but itself and reads no clock, randomness or environment', () => {
    const dir = path.join(repoRoot(), 'server', 'raft');
    const files = fs.readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files).to.include('raft.ts');
    const forbidden = /\bDate\b|Math\.random|setTimeout|setInterval|setImmediate|queueMicrotask|process\.|performance\.|console\./;
    for (const f of files) {
      const src = fs.readFileSync(path.join(dir, f), 'utf8');
      const code = src.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
      for (const m of code.matchAll(/from\s+'([^']+)'/g)) expect(m[1], `${f} imports ${m[1]}`).to.match(/^\.\//);
      expect(code, f).to.not.match(/require\(/);
      expect(forbidden.exec(code)?.[0], f).to.equal(undefined);
    }
  });
});
