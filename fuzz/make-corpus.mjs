// make-corpus.mjs: seeds fuzz/corpus/<target>/ from the shared WebAuthn vectors
// (`node fuzz/make-corpus.mjs [VECTORS-DIR [TARGET...]]`; with targets, only those corpora
// are rewritten). Picks a few cases per format and algorithm so the checked-in corpora stay
// small; file names are the case names.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.argv[2] || path.resolve(here, '..', '..', 'shared', 'vectors', 'webauthn');
const out = path.join(here, 'corpus');
const b = (s) => Buffer.from(s, 'base64url');

function load(kind) {
  return readdirSync(path.join(root, kind)).filter((f) => f.endsWith('.json')).sort()
    .map((f) => ({ name: f.replace(/\.json$/, '').slice(0, 60), c: JSON.parse(readFileSync(path.join(root, kind, f), 'utf8')) }));
}
const regs = load('registration');
const auths = load('authentication');

// one representative per key: keeps every format/alg/outcome combination, bounded
function pick(cases, keyOf, perKey = 1) {
  const seen = new Map();
  return cases.filter(({ c }) => {
    const k = keyOf(c);
    const n = seen.get(k) || 0;
    seen.set(k, n + 1);
    return n < perKey;
  });
}
const fmtOf = (c) => {
  try {
    const ao = b(c.response.response.attestationObject);
    const i = ao.indexOf('fmt');
    return ao.slice(i + 4, i + 4 + (ao[i + 3] & 31)).toString();
  } catch { return '?'; }
};
const regPick = pick(regs, (c) => `${fmtOf(c)}/${c.result?.alg}/${c.outcome}`, 1);
const authPick = pick(auths, (c) => `${c.credential.publicKey.slice(0, 12)}/${c.outcome}`, 2);

const files = {};
const put = (target, name, data) => { (files[target] ||= []).push([name, data]); };
for (const { name, c } of regPick) {
  const r = c.response.response;
  if (typeof r.attestationObject !== 'string') continue;
  let ao;
  try { ao = b(r.attestationObject); } catch { continue; }
  // fuzz_attestation's input: SHA-256(clientDataJSON), the case's clock, the object
  const clock = Buffer.alloc(8);
  clock.writeBigUInt64BE(BigInt(Date.parse(c.expected?.now || '2024-06-01T00:00:00Z')));
  const hash = createHash('sha256').update(b(r.clientDataJSON || '')).digest();
  put('attestation', name, Buffer.concat([hash, clock, ao]));
  put('cbor', name, ao);
  put('clientdata', name, b(r.clientDataJSON || ''));
  if (c.result?.credentialPublicKey) put('cose', name, b(c.result.credentialPublicKey));
  const e = { ...c.expected };
  if (e.now) e.nowMs = Date.parse(e.now);
  put('registration', name, Buffer.from(JSON.stringify({ expected: e, response: c.response })));
}
for (const { name, c } of authPick) {
  const r = c.response.response;
  put('authdata', name, b(r.authenticatorData || ''));
  put('clientdata', name, b(r.clientDataJSON || ''));
  put('cose', name, b(c.credential.publicKey));
  put('authentication', name, Buffer.from(JSON.stringify({ expected: c.expected, credential: c.credential, response: c.response })));
}
// authenticatorData with attested credential data: the authData inside attestationObjects
for (const { name, c } of regPick.slice(0, 20)) {
  try {
    const ao = b(c.response.response.attestationObject);
    const i = ao.indexOf('authData');
    if (i < 0) continue;
    const ai = ao[i + 8] & 31;
    const len = ai < 24 ? ai : ai === 24 ? ao[i + 9] : ao.readUInt16BE(i + 9);
    const start = i + 9 + (ai < 24 ? 0 : ai === 24 ? 1 : 2);
    put('authdata', `reg-${name}`, ao.slice(start, start + len));
  } catch { /* skip */ }
}
let total = 0;
const only = process.argv.slice(3);
for (const [target, list] of Object.entries(files)) {
  if (only.length && !only.includes(target)) continue;
  const dir = path.join(out, target);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const [name, data] of list) { writeFileSync(path.join(dir, name), data); total += data.length; }
  console.log(`${target}: ${list.length} files`);
}
console.log(`total ${total} bytes`);
