// Trunk post_build hook (see Trunk.toml): puts the SHA-256 of every inline <script> of the built
// index.html into its Content-Security-Policy, in place of the `'inline-script-hashes'` marker.
// Trunk writes one inline module script (it loads the wasm); with its hash the policy can allow
// exactly that script and no other inline code ('unsafe-inline' is never needed).
// Fails the build when the marker or the policy is missing, so a build never ships without it.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const MARKER = "'inline-script-hashes'";
const staging = process.env.TRUNK_STAGING_DIR;
const html = process.env.TRUNK_HTML_FILE;
if (!staging || !html) {
  console.error('csp-hashes: run me as a Trunk post_build hook (TRUNK_STAGING_DIR and TRUNK_HTML_FILE unset)');
  process.exit(2);
}
const file = join(staging, basename(html));
const text = readFileSync(file, 'utf8');
// (The minifier reorders attributes and drops quotes: match the tag loosely.)
const meta = text.match(/<meta\b[^>]*\bhttp-equiv=["']?Content-Security-Policy\b[^>]*>/i)?.[0];
if (!meta || !meta.includes(MARKER)) {
  console.error(`csp-hashes: ${file} has no Content-Security-Policy meta tag with ${MARKER}`);
  process.exit(1);
}
const hashes = [];
for (const m of text.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)) {
  if (/\bsrc\s*=/i.test(m[1])) continue;
  hashes.push(`'sha256-${createHash('sha256').update(m[2], 'utf8').digest('base64')}'`);
}
const out = text.replace(MARKER, [...new Set(hashes)].join(' ') || "'none'");
writeFileSync(file, out);
console.log(`csp-hashes: ${hashes.length} inline script(s) allowed by hash in ${basename(file)}`);
