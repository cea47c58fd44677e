import { expect, test, type Page } from '@playwright/test';
import { execFileSync } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';

export const dataDir = process.env.BERTH_E2E_DATA as string;
export const PASSWORD = 'correct-horse-9';

/** A Berth ID no other test uses: lowercase letters and digits, at most 30 characters. */
export function uniqueName(prefix: string): string {
  return (prefix + Date.now().toString(36) + Math.floor(Math.random() * 1e6).toString(36)).slice(0, 30);
}

export interface Mail {
  file: string;
  text: string;
  subject: string;
}

/**
 * Where mail lands: the hub's outbox (`.eml` files), or with BERTH_E2E_MAILDIR the `new/` folder
 * of the Maildir an SMTP server delivers to (a hub run elsewhere, several replicas).
 */
const mailDir = process.env.BERTH_E2E_MAILDIR
  ? path.join(process.env.BERTH_E2E_MAILDIR, 'new')
  : path.join(dataDir, 'outbox');

function mailsTo(address: string): Mail[] {
  const dir = mailDir;
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => process.env.BERTH_E2E_MAILDIR || f.endsWith('.eml'))
    .map((f) => path.join(dir, f))
    .map((file) => ({ file, text: decodeQuotedPrintable(fs.readFileSync(file, 'utf8')), mtime: fs.statSync(file).mtimeMs }))
    .filter((m) => m.text.includes(`To: ${address}`))
    .sort((a, b) => a.mtime - b.mtime)
    .map(({ file, text }) => ({ file, text, subject: /^Subject: (.*)$/m.exec(text)?.[1] ?? '' }));
}

/** What a mail client does to a quoted-printable body: joins soft line breaks, decodes =XX. */
function decodeQuotedPrintable(raw: string): string {
  const joined = raw.replace(/=\r?\n/g, '');
  return Buffer.from(
    joined.replace(/=([0-9A-F]{2})/g, (_, hex) => String.fromCharCode(parseInt(hex, 16))),
    'latin1',
  ).toString('utf8');
}

/** Waits until the outbox holds more than `seen` mails to `address`, and returns the newest. */
export async function waitForMail(address: string, seen = 0): Promise<Mail> {
  let found: Mail[] = [];
  await expect
    .poll(() => (found = mailsTo(address)).length, { message: `mail to ${address}`, timeout: 15_000 })
    .toBeGreaterThan(seen);
  return found[found.length - 1];
}

export function linkIn(mail: Mail, route: string): string {
  const m = new RegExp(`(https?://[^\\s"<>]+${route}\\?token=[A-Za-z0-9_-]+)`).exec(mail.text);
  if (!m) throw new Error(`no ${route} link in ${mail.file}`);
  return m[1];
}

/** Runs SQL on the server's SQLite database (to make a link older than it is, say). */
export function sql(statement: string, params: (string | number)[] = []): void {
  execFileSync('python3', [
    '-c',
    'import sqlite3,sys,json; c=sqlite3.connect(sys.argv[1]); c.execute(sys.argv[2], json.loads(sys.argv[3])); c.commit()',
    path.join(dataDir, 'berth.db'),
    statement,
    JSON.stringify(params),
  ]);
}

/**
 * Collects console errors and warnings and uncaught exceptions of a page. Chrome's own log line
 * for a 4xx answer is left out: refusing a form (422) or a spent link (410) is the behaviour under
 * test. Without JavaScript, so is its note that the preloaded wasm went unused.
 */
export function watchConsole(page: Page, js: boolean): string[] {
  const problems: string[] = [];
  page.on('console', (msg) => {
    const text = msg.text();
    if (msg.type() !== 'error' && msg.type() !== 'warning') return;
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(text)) return;
    if (!js && /was preloaded using link preload but not used/.test(text)) return;
    problems.push(`${msg.type()}: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  return problems;
}

/** With JavaScript on, waits until the page is hydrated; without, there is nothing to wait for. */
export async function ready(page: Page, js: boolean): Promise<void> {
  if (js) await expect(page.locator('body[data-hydrated="true"]')).toHaveCount(1);
}

export async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(__dirname, '..', 'screenshots', `${name}.png`), fullPage: true });
}

export async function signUp(page: Page, js: boolean, name: string, email = `${name}@example.com`): Promise<void> {
  await page.goto('/signup');
  await ready(page, js);
  await page.getByLabel('Berth ID').fill(name);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign up' }).click();
  await expect(page).toHaveURL(/\/welcome$/);
  await expect(page.getByRole('heading', { name: `Welcome to Berth, ${name}!` })).toBeVisible();
  // A sign-up logs nobody in (the mailed link does, or the password): log in, unconfirmed.
  await logIn(page, js, name);
  await expect(page).toHaveURL(/\/$/);
}

export async function logIn(page: Page, js: boolean, login: string, password = PASSWORD): Promise<void> {
  await page.goto('/login');
  await ready(page, js);
  await page.getByLabel('Berth ID or email').fill(login);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
}

export async function logOut(page: Page): Promise<void> {
  await page.locator('.user-menu summary').click();
  await page.getByRole('button', { name: 'Log out' }).click();
  await expect(page.getByRole('heading', { name: 'Your own container hub' })).toBeVisible();
}

/** In the current describe block: every test fails if its page logged a problem (see watchConsole). */
export function failOnConsoleProblems(js: boolean): void {
  let problems: string[] = [];
  test.beforeEach(({ page }) => {
    problems = watchConsole(page, js);
  });
  test.afterEach(() => {
    expect(problems, 'console errors, warnings or uncaught exceptions').toEqual([]);
  });
}

/** Signs up and confirms from the mail, which logs in. */
export async function confirmedUser(page: Page, js: boolean, tag: string): Promise<string> {
  const name = uniqueName(tag);
  await signUp(page, js, name);
  await page.goto(linkIn(await waitForMail(`${name}@example.com`), '/confirm-email'));
  await expect(page).toHaveURL(/\/\?confirmed=1$/);
  return name;
}

export async function createRepository(page: Page, js: boolean, name: string, visibility: 'Public' | 'Private', description = '') {
  await page.goto('/repositories/new');
  await ready(page, js);
  await page.getByLabel('Repository name').fill(name);
  await page.getByLabel('Short description').fill(description);
  await page.getByLabel(visibility).check();
  await page.getByRole('button', { name: 'Create' }).click();
}

/** Creates a confirmed administrator with the `berth user add` command, on the server's data. */
export function addAdmin(name: string): void {
  execFileSync(path.join(__dirname, '..', '..', 'target', 'debug', 'berth'), ['user', 'add', name, '--email', `${name}@example.com`, '--password-stdin', '--confirmed', '--admin'], {
    input: PASSWORD,
    env: { ...process.env, BERTH_DATA_DIR: dataDir, BERTH_LOG: 'warn' },
  });
}

const sha256 = (b: Buffer) => 'sha256:' + createHash('sha256').update(b).digest('hex');

/** Pushes a one-layer linux/amd64 image through the registry API, as a client does. */
export async function pushImage(baseURL: string, user: string, repo: string, tag: string, fill = 7) {
  const auth = 'Basic ' + Buffer.from(`${user}:${PASSWORD}`).toString('base64');
  const res = await fetch(`${baseURL}/token?service=berth&scope=repository:${repo}:pull,push`, { headers: { authorization: auth } });
  const { token } = (await res.json()) as { token: string };
  const headers = { authorization: `Bearer ${token}` };
  const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] }, ...(fill === 7 ? {} : { fill }) }));
  // A different `fill` makes a different image (its own layer and configuration).
  const layer = Buffer.alloc(2048, fill);
  for (const blob of [config, layer]) {
    const put = await fetch(`${baseURL}/v2/${repo}/blobs/uploads/?digest=${sha256(blob)}`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/octet-stream' },
      body: blob,
    });
    expect(put.status).toBe(201);
  }
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: sha256(config), size: config.length },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha256(layer), size: layer.length }],
  });
  const put = await fetch(`${baseURL}/v2/${repo}/manifests/${tag}`, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/vnd.oci.image.manifest.v1+json' },
    body: manifest,
  });
  expect(put.status).toBe(201);
}


/** The code an authenticator app shows for a base32 TOTP secret (RFC 6238: SHA-1, 6 digits, 30 s). */
export function totp(secret: string, atSeconds = Date.now() / 1000): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const bits = [...secret.replace(/[=\s]/g, '').toUpperCase()]
    .map((c) => alphabet.indexOf(c).toString(2).padStart(5, '0'))
    .join('');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(atSeconds / 30)));
  const mac = createHmac('sha1', key).update(counter).digest();
  const offset = mac[mac.length - 1] & 15;
  return ((mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000).toString().padStart(6, '0');
}
