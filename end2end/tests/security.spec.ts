import { expect, test, type Page } from '@playwright/test';
import { PASSWORD, confirmedUser, failOnConsoleProblems, logIn, logOut, ready, shot, totp } from './helpers';

/** The registry's token endpoint, as docker login calls it. */
async function registryLogin(baseURL: string, user: string, secret: string): Promise<number> {
  const auth = 'Basic ' + Buffer.from(`${user}:${secret}`).toString('base64');
  const res = await fetch(`${baseURL}/token?service=berth`, { headers: { authorization: auth, 'user-agent': 'docker/27.5.1' } });
  return res.status;
}

async function security(page: Page, js: boolean) {
  await page.goto('/settings/security');
  await ready(page, js);
  await expect(page.getByRole('heading', { name: 'Security', exact: true })).toBeVisible();
}

// Every flow runs twice: hydrated (JavaScript on) and as plain HTML forms (JavaScript off).
for (const js of [true, false]) {
  const mode = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'js' : 'nojs';

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: js });
    failOnConsoleProblems(js);

    test('access tokens: create, copy, use, deactivate', async ({ page, baseURL }) => {
      const name = await confirmedUser(page, js, `tok${tag}`);
      await page.locator('.user-menu summary').click();
      await page.getByRole('link', { name: 'Security' }).click();
      await ready(page, js);
      await expect(page).toHaveURL(/\/settings\/security$/);

      // A refused form keeps what was typed and says what is wrong beside the field.
      await page.getByLabel('Description').fill('ci laptop');
      await page.getByLabel('Limit to repositories or namespaces (optional)').fill('a/b/c');
      await page.getByRole('button', { name: 'Generate' }).click();
      await expect(page.getByText('"a/b/c" is neither a namespace (alice) nor a repository (alice/app).')).toBeVisible();
      await expect(page.getByLabel('Description')).toHaveValue('ci laptop');

      await page.getByLabel('Limit to repositories or namespaces (optional)').fill('');
      await page.getByRole('radio', { name: /^Read & write/ }).check();
      await page.getByLabel('Expiration').selectOption('30');
      await page.getByRole('button', { name: 'Generate' }).click();
      const shown = page.locator('#new-token');
      await expect(shown).toBeVisible();
      const secret = (await shown.locator('code.copyable').first().textContent()) ?? '';
      expect(secret).toMatch(/^berth_pat_[A-Za-z0-9_-]{40,}$/);
      const host = new URL(baseURL!).host;
      await expect(shown.getByText(`docker login ${host} -u ${name} --password-stdin`)).toBeVisible();
      if (js) {
        await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
        await shown.getByRole('button', { name: 'Copy the token' }).click();
        expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
      } else {
        await expect(shown.getByRole('button', { name: 'Copy the token' })).toBeHidden();
      }
      await shot(page, `${tag}-security-new-token`);

      // Shown once: gone on the next visit.
      await security(page, js);
      await expect(page.locator('#new-token')).toHaveCount(0);
      await expect(page.getByText(secret)).toHaveCount(0);

      // It is the registry password; its use shows on its card.
      expect(await registryLogin(baseURL!, name, secret)).toBe(200);
      await security(page, js);
      const card = page.locator('.token-card', { hasText: 'ci laptop' });
      await expect(card.getByText('Read & write')).toBeVisible();
      await expect(card.getByText(/from 127\.0\.0\.1 with docker 27\.5\.1/)).toBeVisible();

      await card.getByRole('button', { name: 'Deactivate token ci laptop' }).click();
      await expect(page.getByText('Token updated.')).toBeVisible();
      await expect(page.locator('.token-card', { hasText: 'ci laptop' }).getByText('Inactive')).toBeVisible();
      expect(await registryLogin(baseURL!, name, secret)).toBe(401);

      const activity = page.locator('#activity');
      for (const line of ['Access token created', 'Access token used', 'Access token deactivated']) {
        await expect(activity.getByText(line, { exact: true }).first()).toBeVisible();
      }
      await shot(page, `${tag}-security-tokens`);
    });

    test('two-factor authentication: turn on, log in with a code and with a recovery code', async ({ page, baseURL }) => {
      const name = await confirmedUser(page, js, `tfa${tag}`);
      await security(page, js);
      await page.getByRole('button', { name: 'Set up two-factor authentication' }).click();
      await expect(page.getByRole('img', { name: 'QR code for your authenticator app' })).toBeVisible();
      const secret = ((await page.locator('.setup-secret').textContent()) ?? '').trim();
      expect(secret).toMatch(/^[A-Z2-7]{32}$/);
      await shot(page, `${tag}-security-2fa-setup`);
      await page.getByLabel('Code from the app').fill('000000');
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect(page.getByText('That code does not match.')).toBeVisible();
      const now = Date.now() / 1000;
      await page.getByLabel('Code from the app').fill(totp(secret, now));
      await page.getByRole('button', { name: 'Turn on' }).click();
      await expect(page.getByText('Two-factor authentication is on.')).toBeVisible();
      const codes = await page.locator('.recovery-codes code').allTextContents();
      expect(codes).toHaveLength(10);
      await shot(page, `${tag}-security-2fa-on`);

      // The registry now wants a token.
      expect(await registryLogin(baseURL!, name, PASSWORD)).toBe(401);

      // The password leads to the code page; the app's next code logs in.
      await logOut(page);
      await logIn(page, js, name);
      await expect(page).toHaveURL(/\/login\/code$/);
      await ready(page, js);
      await page.getByLabel('Authentication code').fill('123456');
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText('That code is not right.')).toBeVisible();
      await page.getByLabel('Authentication code').fill(totp(secret, now + 30));
      await shot(page, `${tag}-login-code`);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page).toHaveURL(/\/$/);
      await expect(page.locator('.user-menu summary')).toContainText(name);

      // A recovery code logs in once.
      await logOut(page);
      await logIn(page, js, name);
      await expect(page).toHaveURL(/\/login\/code$/);
      await page.getByLabel('Authentication code').fill(codes[3]);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.locator('.user-menu summary')).toContainText(name);
      // The dashboard says how many are left.
      await expect(page.getByText('You logged in with a recovery code: 9 of 10 left.')).toBeVisible();
      await logOut(page);
      await logIn(page, js, name);
      await page.getByLabel('Authentication code').fill(codes[3]);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.getByText('That recovery code was used already')).toBeVisible();
      await page.getByLabel('Authentication code').fill(codes[4]);
      await page.getByRole('button', { name: 'Log in' }).click();
      await expect(page.locator('.user-menu summary')).toContainText(name);

      await security(page, js);
      await expect(page.getByText('8 of 10 recovery codes left.')).toBeVisible();
      const activity = page.locator('#activity');
      for (const line of [
        'Two-factor authentication turned on',
        'Logged in with a two-factor code',
        'Logged in with a recovery code',
        'Failed login',
      ]) {
        await expect(activity.getByText(line, { exact: true }).first()).toBeVisible();
      }
    });

    test('a password change ends the other browser’s session', async ({ page, browser }) => {
      const name = await confirmedUser(page, js, `pwd${tag}`);
      const other = await browser.newContext({ javaScriptEnabled: js });
      const elsewhere = await other.newPage();
      await logIn(elsewhere, js, name);
      await expect(elsewhere.locator('.user-menu summary')).toContainText(name);

      await security(page, js);
      await page.getByLabel('Current password').fill('not the password');
      await page.getByLabel('New password', { exact: true }).fill('a-new-password-9');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByText('That is not your current password.')).toBeVisible();
      await page.getByLabel('Current password').fill(PASSWORD);
      await page.getByLabel('New password', { exact: true }).fill('a-new-password-9');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.getByText('Password changed.')).toBeVisible();
      await expect(page.locator('.user-menu summary')).toContainText(name);

      await elsewhere.goto('/settings/security');
      await expect(elsewhere.getByText("Log in to manage your account's security.")).toBeVisible();
      await expect(elsewhere.locator('.user-menu')).toHaveCount(0);
      await other.close();

      for (const line of ['Password changed', 'Logged in']) {
        await expect(page.locator('#activity').getByText(line, { exact: true }).first()).toBeVisible();
      }
    });
  });
}
