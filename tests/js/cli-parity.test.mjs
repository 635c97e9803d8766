// One corpus, two hosts: every case the trace format can express is simulated by the Rust CLI
// (`toolgate simulate --format json`, native) and by the npm package (wasm under Node); the
// outputs must be the same JSON, numbers compared exactly.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { PolicyEngine } from 'toolgate';

import { asTrace, isCaseFile, policyInput, readCases } from './corpus-runner.mjs';
import { parseExact, sameJson, stringifyExact } from './exact-json.mjs';

const dir = process.env.TOOLGATE_CORPUS_DIR ?? fileURLToPath(new URL('../corpus/', import.meta.url));
const cli = process.env.TOOLGATE_CLI ?? fileURLToPath(new URL('../../target/debug/toolgate', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'toolgate-parity-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('the native CLI is built (scripts/test-pkg.sh builds it; TOOLGATE_CLI overrides the path)', () => {
  assert.ok(existsSync(cli), `no CLI at ${cli}: run \`cargo build -p toolgate\``);
});

let compared = 0;
for (const file of readdirSync(dir).filter(isCaseFile).sort()) {
  const cases = readCases(readFileSync(join(dir, file), 'utf8')).filter(
    (c) => c.expect[0]?.decision !== 'invalid_policy' && c.calls.length > 0 && asTrace(c) !== null,
  );
  describe(file, () => {
    for (const c of cases) {
      const trace = asTrace(c);
      // A trace's `args` must be objects; other values are trace errors on both hosts alike.
      test(c.name, () => {
        const policyFile = join(work, `${c.name}.policy.json`);
        const traceFile = join(work, `${c.name}.trace.json`);
        writeFileSync(policyFile, policyInput(c));
        writeFileSync(traceFile, stringifyExact(trace));
        let native;
        let nativeError = null;
        try {
          native = execFileSync(cli, ['simulate', policyFile, traceFile, '--format', 'json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        } catch (e) {
          nativeError = e;
        }
        const engine = new PolicyEngine(policyInput(c));
        let wasm;
        let wasmError = null;
        try {
          wasm = engine.simulateJson(stringifyExact(trace));
        } catch (e) {
          wasmError = e;
        }
        if (nativeError !== null || wasmError !== null) {
          // Both hosts must refuse the same traces (e.g. arguments that are not objects).
          assert.ok(nativeError !== null && wasmError !== null, `only one host failed: CLI ${nativeError}, package ${wasmError}`);
          assert.equal(nativeError.status, 1, 'the CLI exits 1 for an invalid trace');
          assert.equal(wasmError.kind, 'trace');
          return;
        }
        compared++;
        const a = parseExact(native);
        const b = parseExact(wasm);
        assert.ok(sameJson(a, b), `the CLI and the package disagree:\nCLI:     ${stringifyExact(a)}\npackage: ${stringifyExact(b)}`);
      });
    }
  });
}

test('cases were compared', () => {
  assert.ok(compared > 0);
});
