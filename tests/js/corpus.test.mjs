// The conformance corpus through the npm package under Node, imported as an ES module: the same
// decisions, rule ids, messages, pointers, explanations, counters and states as the Rust runner.
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import * as toolgate from 'toolgate';

import { isCaseFile, readCases, runCase } from './corpus-runner.mjs';

const dir = process.env.TOOLGATE_CORPUS_DIR ?? fileURLToPath(new URL('../corpus/', import.meta.url));
const files = readdirSync(dir).filter(isCaseFile).sort();

test('the corpus directory holds case files', () => {
  assert.ok(files.includes('vectors.json'), `no vectors.json in ${dir}`);
});

for (const file of files) {
  const cases = readCases(readFileSync(join(dir, file), 'utf8'));
  describe(file, () => {
    test('holds cases', () => assert.ok(cases.length > 0));
    for (const c of cases) {
      test(c.name, () => {
        assert.deepEqual(runCase(toolgate, c), []);
      });
    }
  });
}
