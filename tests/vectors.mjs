// vectors.mjs: runs every WebAuthn case of ../shared/vectors/webauthn through the CLI
// (`node tests/vectors.mjs build/latchkey`). Valid cases must exit 0 with every `result`
// field; invalid ones must exit 1 with a message, and where the case's name says what was
// broken (FAILED_CHECK), the `error` must name that check. ML-DSA cases refused with an
// "unsupported" message count as unsupported; cases where the corpus and latchkey's own
// contract (API-NOTES) disagree are checked against API-NOTES and counted as "policy".
// Ends with "N passed, N failed". Node 20, no dependencies. LATCHKEY_VECTORS_VERBOSE=1 also
// prints each refusal's message beside the case's reason.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const bin = path.resolve(process.argv[2] || 'build/latchkey');
const here = path.dirname(fileURLToPath(import.meta.url));
const root = process.env.LATCHKEY_VECTORS ||
  path.resolve(here, '..', '..', 'shared', 'vectors', 'webauthn');
const tmp = mkdtempSync(path.join(tmpdir(), 'lk-vectors-'));

// Where API-NOTES (the project's contract) deliberately differs from the corpus.
const POLICY = {
  'authentication/soft-auth-es256-counter-reset-to-zero':
    { outcome: 'valid', why: 'API-NOTES 105: a new counter 0 after a non-zero one is accepted' },
  'registration/w3c-none-es256-none-es256-crossorigin':
    { outcome: 'invalid', why: 'API-NOTES 107: crossOrigin true without topOrigin is refused' },
  'authentication/w3c-es256-none-es256-crossorigin':
    { outcome: 'invalid', why: 'API-NOTES 107: crossOrigin true without topOrigin is refused' },
};
const ML_DSA = new Set([-48, -49, -50]);

// The check an invalid case must be refused by, from what its name says was changed (the
// README's derived negatives and software-authenticator faults). Where a change breaks two
// things (a type swap or a cleared UP also voids a real signature), the earlier step of
// §7.1/§7.2 names it. Cases no rule matches may be refused by any check.
const FAILED_CHECK = [
  [/--wrong-origin$|-origin-(port|http|subdomain|trailing-slash)$|response-origin-is-not/, 'origin'],
  [/--wrong-rpid$|rpidhash/, 'rpIdHash'],
  [/--wrong-challenge$|--client-data-no-challenge$|-challenge-padded$|response-challenge-is-not/, 'challenge'],
  [/--type-|-type-(get|create)$/, 'type'],
  [/--client-data-not-json$|--empty-client-data$/, 'clientDataJSON'],
  [/cross-?origin$/, 'crossOrigin'],
  [/-up-clear$/, 'userPresence'],
  [/-uv-(required|missing)$/, 'userVerification'],
  [/bs-without-be$/, 'backupFlags'],
  [/--authdata-|-at-flag-clear$|-at-set-no-data$|-at-clear-with-data$|-ed-set-no-extensions$|-ed-no-extensions$|-extensions-without-ed$/, 'authenticatorData'],
  [/--alg-(unsupported|kty-mismatch)$|-es256k-not-offered$|-cose-wrong-curve$|-wrong-stored-key-alg$/, 'algorithm'],
  [/-cose-(bad-point|no-alg)$/, 'publicKey'],
  [/--id-rawid-mismatch$|--id-not-credential-id$|-id-mismatch$|-credid-1024$/, 'credentialId'],
  [/--fmt-unsupported$/, 'format'],
  [/counter-(equal|regression)$|previous-counter-value/, 'signCount'],
  [/--attstmt-sig-corrupted$|--cert-expired-now$|--nonce-mismatch$|--wrong-trust-anchor$|^soft-packed-.*-(sig-|signed-by-|alg-mismatch|no-sig)/, 'attestation'],
  [/--(signature-corrupted|empty-signature|sig-raw-not-der|wrong-public-key)$|^soft-auth-.*-(sig-|signed-by-other-key|pss-under-)/, 'signature'],
];
const failedCheck = (name) => FAILED_CHECK.find(([re]) => re.test(name))?.[1];
let namedRefusals = 0;

function coseAlg(b64) {
  // alg (label 3) of a COSE key: enough CBOR to find "03 <int>" at the top level.
  const b = Buffer.from(b64, 'base64url');
  for (let i = 1; i + 1 < b.length; i++) {
    if (b[i] === 0x03 && b[i + 1] >= 0x20 && b[i + 1] <= 0x39) {
      const ai = b[i + 1] & 31;
      if (ai < 24) return -1 - ai;
      if (ai === 24) return -1 - b[i + 2];
      if (ai === 25) return -1 - b.readUInt16BE(i + 2);
    }
  }
  return null;
}

function argsFor(kind, c, idx) {
  const e = c.expected || {};
  const a = ['webauthn', kind === 'registration' ? 'verify-registration' : 'verify-authentication',
    '--challenge', e.challenge, '--rp-id', e.rpId];
  for (const o of [].concat(e.origin)) a.push('--origin', o);
  if (e.requireUserVerification) a.push('--require-uv');
  if (e.now) a.push('--now', e.now);
  for (const t of [].concat(e.topOrigin ?? [])) a.push('--top-origin', t);
  if (e.supportedAlgorithms) a.push('--algs', e.supportedAlgorithms.join(','));
  if (kind === 'registration') {
    if (e.requireUserPresence === false) a.push('--no-require-up');
    if (e.safetyNetCtsProfileMatchRequired === false) a.push('--safetynet-cts-optional');
    if (c.attestationTrust === 'checked' && Array.isArray(c.trustAnchors)) {
      c.trustAnchors.forEach((pem, i) => {
        const f = path.join(tmp, `anchor-${idx}-${i}.pem`);
        writeFileSync(f, pem.endsWith('\n') ? pem : pem + '\n');
        a.push('--trust-anchor', f);
      });
    }
  } else {
    a.push('--public-key', c.credential.publicKey, '--sign-count', String(c.credential.signCount));
  }
  return a;
}

function run(args, input) {
  return new Promise((resolve) => {
    const p = spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '', err = '';
    p.stdout.on('data', (d) => { out += d; });
    p.stderr.on('data', (d) => { err += d; });
    p.on('error', (e) => resolve({ code: -1, out, err: String(e) }));
    p.on('close', (code, sig) => resolve({ code: code ?? -1, sig, out, err }));
    p.stdin.on('error', () => {});
    p.stdin.end(input);
  });
}

function check(kind, name, c, r) {
  // returns [status, detail]: status pass | fail | unsupported | policy
  let json = null;
  try { json = JSON.parse(r.out); } catch { /* checked below */ }
  const key = `${kind}/${name}`;
  const alg = c.result?.alg ?? (c.credential ? coseAlg(c.credential.publicKey) : null);
  if (c.outcome === 'valid' && ML_DSA.has(alg)) {
    if (r.code === 1 && json && /unsupported/i.test(json.message || '')) return ['unsupported'];
    return ['fail', `ML-DSA case not refused as unsupported (exit ${r.code}) ${r.out.trim()}`];
  }
  const policy = POLICY[key];
  const want = policy ? policy.outcome : c.outcome;
  const tag = policy ? 'policy' : 'pass';
  if (want === 'invalid') {
    const named = policy ? undefined : failedCheck(name);
    if (r.code === 1 && json && typeof json.message === 'string' && json.message &&
        typeof json.error === 'string') {
      if (named && json.error !== named) {
        return ['fail', `refused by check ${json.error}, want ${named}: ${json.message} (${c.reason})`];
      }
      if (named) namedRefusals++;
      return [tag, `refused: ${json.message} (${c.reason})`];
    }
    return ['fail', `expected refusal, got exit ${r.code}${r.sig ? ' ' + r.sig : ''}: ${r.out.trim()} ${r.err.trim()}`];
  }
  if (r.code !== 0 || !json) {
    return ['fail', `expected success, got exit ${r.code}${r.sig ? ' ' + r.sig : ''}: ${r.out.trim()} ${r.err.trim()}`];
  }
  if (policy) return [tag];
  if (kind === 'registration') {
    // the trust path: x5c subjects, anchored only when the case's anchors were given
    const x5c = c.attestationTrust === 'checked' || c.attestationTrust === 'not-checked';
    if (!Array.isArray(json.trustPath) || (json.trustPath.length > 0) !== x5c ||
        json.anchored !== (c.attestationTrust === 'checked')) {
      return ['fail', `trust path: anchored ${json.anchored}, ${JSON.stringify(json.trustPath)} for ${c.attestationTrust}`];
    }
  }
  for (const [k, v] of Object.entries(c.result || {})) {
    const got = k === 'credentialPublicKey' ? json.publicKey : json[k];
    if (JSON.stringify(got) !== JSON.stringify(v)) {
      return ['fail', `${k}: got ${JSON.stringify(got)}, want ${JSON.stringify(v)}`];
    }
  }
  return [tag];
}

const cases = [];
for (const kind of ['registration', 'authentication']) {
  for (const f of readdirSync(path.join(root, kind)).filter((x) => x.endsWith('.json')).sort()) {
    cases.push({ kind, name: f.replace(/\.json$/, ''), file: path.join(root, kind, f) });
  }
}

const counts = { pass: 0, fail: 0, unsupported: 0, policy: 0 };
const policyNames = [];
let next = 0;
async function worker() {
  while (next < cases.length) {
    const i = next++;
    const k = cases[i];
    let status, detail;
    try {
      const c = JSON.parse(readFileSync(k.file, 'utf8'));
      const r = await run(argsFor(k.kind, c, i), JSON.stringify(c.response));
      [status, detail] = check(k.kind, k.name, c, r);
    } catch (e) {
      [status, detail] = ['fail', `runner error: ${e.message}`];
    }
    counts[status]++;
    if (process.env.LATCHKEY_VECTORS_VERBOSE && status !== 'fail') {
      console.log(`${status} ${k.kind}/${k.name}: ${detail ?? ''}`);
    }
    if (status === 'fail') console.log(`FAIL ${k.kind}/${k.name}: ${detail}`);
    if (status === 'policy') policyNames.push(`${k.kind}/${k.name} (${POLICY[`${k.kind}/${k.name}`].why})`);
  }
}
await Promise.all(Array.from({ length: 8 }, worker));

// The options of `verify-authentication` the cases do not exercise (API.md "Command line",
// API-NOTES 147): each against one valid software-authenticator assertion (BE clear, counter
// 1, userHandle "soft-user-1", which the signature does not cover).
async function cliOptions() {
  const base = JSON.parse(readFileSync(path.join(root, 'authentication', 'soft-auth-es256.json'), 'utf8'));
  const e = base.expected;
  const req = ['webauthn', 'verify-authentication', '--challenge', e.challenge, '--origin', e.origin,
    '--rp-id', e.rpId, '--public-key', base.credential.publicKey];
  const noHandle = structuredClone(base.response);
  delete noHandle.response.userHandle;
  const other = Buffer.from('someone-else').toString('base64url');
  const own = base.response.response.userHandle;
  const checks = [
    ['the case as given', [...req, '--sign-count', '0'], base.response, 0],
    ['--sign-count missing', req, base.response, 2],
    ['--sign-count above the new counter', [...req, '--sign-count', '5'], base.response, 1, 'signCount'],
    ['--user-handle of another account', [...req, '--sign-count', '0', '--user-handle', other], base.response, 1, 'userHandle'],
    ['--user-handle of the owner', [...req, '--sign-count', '0', '--user-handle', own], base.response, 0],
    ['--discoverable without a userHandle', [...req, '--sign-count', '0', '--discoverable'], noHandle, 1, 'userHandle'],
    ['no userHandle, not discoverable', [...req, '--sign-count', '0'], noHandle, 0],
    ['--backup-eligible 1 for a BE-clear assertion', [...req, '--sign-count', '0', '--backup-eligible', '1'], base.response, 1, 'backupFlags'],
    ['--backup-eligible 0', [...req, '--sign-count', '0', '--backup-eligible', '0'], base.response, 0],
    ['an unknown option', [...req, '--sign-count', '0', '--no-such-option'], base.response, 2],
  ];
  for (const [what, args, body, code, error] of checks) {
    const r = await run(args, JSON.stringify(body));
    let json = null;
    try { json = JSON.parse(r.out); } catch { /* usage errors print nothing on stdout */ }
    const ok = r.code === code && (code !== 2 || (r.out === '' && r.err !== '')) &&
      (error === undefined || json?.error === error);
    counts[ok ? 'pass' : 'fail']++;
    if (!ok) console.log(`FAIL cli ${what}: exit ${r.code}, want ${code}${error ? ` (${error})` : ''}: ${r.out.trim()} ${r.err.trim()}`);
  }
}
await cliOptions();
rmSync(tmp, { recursive: true, force: true });
console.log(`${namedRefusals} refusals named the check their case breaks`);
if (counts.unsupported) console.log(`${counts.unsupported} unsupported (ML-DSA refused: needs OpenSSL 3.5)`);
if (counts.policy) {
  console.log(`${counts.policy} policy (API-NOTES differs from the corpus; checked against API-NOTES):`);
  for (const n of policyNames.sort()) console.log(`  ${n}`);
}
console.log(`${counts.pass} passed, ${counts.fail} failed`);
process.exit(counts.fail ? 1 : 0);
