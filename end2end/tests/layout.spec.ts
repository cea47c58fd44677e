import { expect, test, type Browser, type Page } from '@playwright/test';
import AxeBuilder from '@axe-core/playwright';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { PASSWORD, confirmedUser, createRepository, logIn, pushImage, ready, sql, uniqueName } from './helpers';

// Every main page at a phone's, a laptop's and a wide screen's width, light and dark: nothing
// wider than the screen, no table wider than its column, every button and command whole, no
// serious accessibility violation. Screenshots land in end2end/screenshots/layout/ for a look.

const WIDTHS = [
  { name: 'phone', width: 390, height: 844 },
  { name: 'laptop', width: 1280, height: 800 },
  { name: 'wide', width: 1920, height: 1080 },
];
const SCHEMES = ['light', 'dark'] as const;
const shots = path.join(__dirname, '..', 'screenshots', 'layout');

/** A user with a repository full of what makes pages wide: long tag names, several tags. */
async function fixture(browser: Browser, baseURL: string) {
  const context = await browser.newContext({ baseURL });
  const page = await context.newPage();
  const name = await confirmedUser(page, true, 'lay');
  await createRepository(page, true, 'a-rather-long-repository-name-for-layout', 'Public', 'Short description that fills most of the hundred characters a description may have.');
  const repo = `${name}/a-rather-long-repository-name-for-layout`;
  for (const tag of ['latest', 'v1.2.3', 'a-very-long-tag-name-that-goes-on-and-on-for-testing-1234567890']) {
    await pushImage(baseURL, name, repo, tag);
  }
  // A token limited to that repository, for the Security page's list.
  await page.goto('/settings/security');
  await ready(page, true);
  await page.getByLabel('Description').fill('build server in the basement, nightly images');
  await page.getByLabel('Limit to repositories or namespaces (optional)').fill(repo);
  await page.getByRole('button', { name: 'Generate' }).click();
  await expect(page.locator('#new-token')).toBeVisible();
  // A webhook whose receiver does not resolve: a failed attempt with its error in the log.
  await page.goto(`/r/${repo}?tab=settings&section=webhooks`);
  await ready(page, true);
  await page.locator('#webhooks').getByLabel('Webhook name').fill('continuous deployment to the staging cluster');
  await page.locator('#webhooks').getByLabel('Destination URL').fill('https://deploy.example.invalid/hooks/berth/a-rather-long-path-for-layout?token=abcdef');
  await page.locator('#webhooks').getByRole('button', { name: 'Add webhook' }).click();
  await expect(page).toHaveURL(/\/webhooks\/\d+\?saved=created$/);
  const webhook = new URL(page.url()).pathname;
  await ready(page, true);
  await page.getByRole('button', { name: 'Send test event' }).click();
  await expect(page.getByText('Test event queued')).toBeVisible();
  // An organization with a repository, a team and a pending invitation, for its pages.
  const org = uniqueName('layorg');
  await page.goto('/organizations/new');
  await ready(page, true);
  await page.getByLabel('Organization name').fill(org);
  await page.getByLabel('Display name').fill('Layout Testing Organization With A Long Display Name');
  await page.getByRole('button', { name: 'Create organization' }).click();
  await expect(page).toHaveURL(new RegExp(`/u/${org}\\?created=1$`));
  await pushImage(baseURL, name, `${org}/service-with-a-long-name`, 'latest');
  await page.goto(`/u/${org}?tab=members`);
  await ready(page, true);
  await page.getByLabel('Berth ID or email address').fill('someone.with.a.long.address@example.com');
  await page.getByRole('button', { name: 'Send invitation' }).click();
  await expect(page.getByText('Invitation sent')).toBeVisible();
  await page.goto(`/u/${org}?tab=teams`);
  await ready(page, true);
  await page.getByLabel('Team name').fill('release-engineering');
  await page.getByRole('button', { name: 'Create team' }).click();
  await expect(page).toHaveURL(/team=release-engineering$/);
  // Tag rules on the repository (previewed, not run: the tags stay for the other pages), and an
  // administrator, for the storage page.
  await page.goto(`/r/${repo}?tab=settings&section=rules`);
  await ready(page, true);
  const rules = page.locator('#tag-rules');
  await rules.getByLabel('Tags matching a regular expression').check();
  await rules.getByLabel('Immutable tags match').fill('v[0-9]+\\.[0-9]+\\.[0-9]+');
  await rules.getByLabel('Keep only the newest (tags)').fill('1');
  await rules.getByRole('button', { name: 'Save tag rules' }).click();
  await expect(page.getByText('Tag rules saved.')).toBeVisible();
  // Automated builds: a linked source (a name that does not resolve) and one build, queued or
  // failed by the time it is photographed.
  await page.goto(`/r/${repo}/builds`);
  await ready(page, true);
  await page.locator('#source').getByLabel('Git repository URL').fill('https://git.example.invalid/platform-team/a-rather-long-repository-name-for-layout.git');
  await page.locator('#source').getByRole('button', { name: 'Link repository' }).click();
  await expect(page.getByText('Source saved.')).toBeVisible();
  await ready(page, true);
  await page.getByRole('button', { name: 'Build now: branch main → latest' }).click();
  await expect(page).toHaveURL(/\/builds\/\d+$/);
  const build = new URL(page.url()).pathname;
  sql('UPDATE users SET is_admin = 1 WHERE username = ?', [name]);
  await context.close();
  return { name, repo, org, webhook, build };
}

/** Checks the page fits its width and that buttons and commands are whole. */
async function fits(page: Page, label: string) {
  const problems = await page.evaluate(() => {
    const out: string[] = [];
    const doc = document.documentElement;
    if (doc.scrollWidth > doc.clientWidth) out.push(`page is ${doc.scrollWidth}px wide in ${doc.clientWidth}px`);
    for (const t of Array.from(document.querySelectorAll<HTMLElement>('table'))) {
      if (t.scrollWidth > t.clientWidth + 1) out.push(`table .${t.className} is ${t.scrollWidth}px in ${t.clientWidth}px`);
    }
    const width = window.innerWidth;
    for (const el of Array.from(document.querySelectorAll<HTMLElement>('button, .button, code.copyable, input, select, textarea'))) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden' || el.closest('details:not([open])') && !el.closest('summary')) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 && r.height === 0) continue;
      const what = `${el.tagName.toLowerCase()}${el.className ? '.' + el.className.split(' ').join('.') : ''} "${(el.textContent || (el as HTMLInputElement).name || '').trim().slice(0, 40)}"`;
      if (r.left < -1 || r.right > width + 1) out.push(`${what} is outside the screen (${Math.round(r.left)}–${Math.round(r.right)} of ${width})`);
      if (el.scrollWidth > el.clientWidth + 1 && !['TEXTAREA', 'SELECT', 'INPUT'].includes(el.tagName)) out.push(`${what} is cut: ${el.scrollWidth}px of content in ${el.clientWidth}px`);
    }
    return out;
  });
  expect.soft(problems, label).toEqual([]);
}

async function accessible(page: Page, label: string) {
  const results = await new AxeBuilder({ page }).analyze();
  const bad = results.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  expect.soft(bad, label).toEqual([]);
  // Every id once: a label whose `for` names a repeated id focuses the wrong field (axe's own
  // duplicate-id rules are of minor impact, so this is checked directly).
  const repeated = await page.evaluate(() => {
    const seen = new Map<string, number>();
    for (const el of Array.from(document.querySelectorAll('[id]'))) seen.set(el.id, (seen.get(el.id) ?? 0) + 1);
    return Array.from(seen.entries()).filter(([, n]) => n > 1).map(([id, n]) => `${id} ×${n}`);
  });
  expect.soft(repeated, `${label}: repeated ids`).toEqual([]);
}

test.describe('every main page at every width, light and dark', () => {
  // 30 pages × 3 widths × 2 schemes, each checked with axe and photographed.
  test.describe.configure({ timeout: 480_000 });

  test('pages fit, read, and pass axe', async ({ browser, baseURL }) => {
    fs.mkdirSync(shots, { recursive: true });
    const { name, repo, org, webhook, build } = await fixture(browser, baseURL!);
    const pages: [string, string, boolean][] = [
      ['landing', '/', false],
      ['signup', '/signup', false],
      ['login', '/login', false],
      ['not-found', '/no/such/page', false],
      ['dashboard', '/', true],
      ['create', '/repositories/new', true],
      ['overview', `/r/${repo}`, true],
      ['tags', `/r/${repo}?tab=tags`, true],
      ['settings-tab', `/r/${repo}?tab=settings`, true],
      ['settings-collaborators', `/r/${repo}?tab=settings&section=access`, true],
      ['settings-webhooks', `/r/${repo}?tab=settings&section=webhooks`, true],
      ['settings-tag-rules', `/r/${repo}?tab=settings&section=rules`, true],
      ['settings-danger-zone', `/r/${repo}?tab=settings&section=danger`, true],
      ['tag-page', `/r/${repo}/tags/latest`, true],
      ['account-settings', '/settings', true],
      ['security', '/settings/security', true],
      ['profile', `/u/${name}`, true],
      ['search', '/search?q=layout', true],
      ['explore', '/explore', true],
      ['organization', `/u/${org}`, true],
      ['organization-members', `/u/${org}?tab=members`, true],
      ['organization-team', `/u/${org}?tab=teams&team=release-engineering`, true],
      ['webhook', webhook, true],
      ['organization-new', '/organizations/new', true],
      ['organization-settings', `/u/${org}?tab=settings`, true],
      ['retention-preview', `/r/${repo}?tab=settings&preview=1`, true],
      ['admin-storage', '/admin/storage', true],
      ['admin-plans', '/admin/plans', true],
      ['builds', `/r/${repo}/builds`, true],
      ['build-page', build, true],
    ];
    for (const scheme of SCHEMES) {
      for (const size of WIDTHS) {
        const context = await browser.newContext({ baseURL, viewport: { width: size.width, height: size.height }, colorScheme: scheme });
        const page = await context.newPage();
        let loggedIn = false;
        for (const [label, url, needsLogin] of pages) {
          if (needsLogin && !loggedIn) {
            await logIn(page, true, name, PASSWORD);
            await expect(page).toHaveURL(/\/$/);
            loggedIn = true;
          }
          await page.goto(url);
          await ready(page, true);
          const where = `${label} at ${size.width}px, ${scheme}`;
          await fits(page, where);
          await accessible(page, where);
          await page.screenshot({ path: path.join(shots, `${label}-${size.name}-${scheme}.png`), fullPage: true });
        }
        await context.close();
      }
    }
  });

  test('the main flows work with the keyboard alone', async ({ page }) => {
    /** Presses Tab until `target` has the focus, as someone without a mouse does. */
    async function tabTo(target: ReturnType<Page['locator']>) {
      for (let i = 0; i < 30; i++) {
        if (await target.evaluate((el) => el === document.activeElement)) return;
        await page.keyboard.press('Tab');
      }
      throw new Error(`Tab never reached ${target}`);
    }
    const name = uniqueName('kbd');
    await page.goto('/signup');
    await ready(page, true);
    await tabTo(page.getByLabel('Berth ID'));
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(`${name}@example.com`);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/welcome$/);
    // Log in from the header's link (it comes back to the welcome page).
    await tabTo(page.getByRole('link', { name: 'Log in' }).first());
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/login\?next=\/welcome$/);
    await tabTo(page.getByLabel('Berth ID or email'));
    await page.keyboard.type(name);
    await page.keyboard.press('Tab');
    await page.keyboard.type(PASSWORD);
    await page.keyboard.press('Enter');
    await expect(page).toHaveURL(/\/welcome$/);
    await expect(page.getByRole('heading', { name: `Welcome to Berth, ${name}!` })).toBeVisible();
    // The account menu opens and logs out from the keyboard.
    await tabTo(page.locator('.user-menu summary'));
    await page.keyboard.press('Enter');
    await tabTo(page.getByRole('button', { name: 'Log out' }));
    await page.keyboard.press('Enter');
    await expect(page.getByRole('heading', { name: 'Your own container hub' })).toBeVisible();
  });
});
