import { expect, test, type Page } from '@playwright/test';
import {
  PASSWORD,
  linkIn,
  logIn,
  logOut,
  ready,
  shot,
  signUp,
  sql,
  uniqueName,
  waitForMail,
  failOnConsoleProblems,
} from './helpers';

// Every flow runs twice: hydrated (JavaScript on) and as plain HTML forms (JavaScript off).
for (const js of [true, false]) {
  const mode = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'js' : 'nojs';

  test.describe(mode, () => {
    test.use({ javaScriptEnabled: js });

    failOnConsoleProblems(js);

    test('sign up, confirm from the mail, log out, log in', async ({ page }) => {
      const name = uniqueName(tag);
      const email = `${name}@example.com`;

      await page.goto('/');
      await ready(page, js);
      await expect(page).toHaveTitle('Berth');
      await expect(page.getByRole('heading', { name: 'Your own container hub' })).toBeVisible();
      await shot(page, `${tag}-landing`);

      await page.getByRole('link', { name: 'Sign up' }).first().click();
      await expect(page).toHaveURL(/\/signup$/);
      await ready(page, js);
      await expect(page).toHaveTitle('Sign up · Berth');
      await page.getByLabel('Berth ID').fill(name);
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password').fill(PASSWORD);
      await shot(page, `${tag}-signup`);
      // Forms are plain HTML posts, with or without JavaScript (only the islands hydrate).
      const posted = page.waitForRequest((r) => r.url().endsWith('/api/signup'));
      await page.getByRole('button', { name: 'Sign up' }).click();
      expect((await posted).resourceType()).toBe('document');

      await expect(page).toHaveURL(/\/welcome$/);
      await expect(page.getByRole('heading', { name: `Welcome to Berth, ${name}!` })).toBeVisible();
      await expect(page.getByText('Check your email to confirm your address.')).toBeVisible();
      await shot(page, `${tag}-welcome`);

      // The sign-up logged nobody in (the same answer whatever the address): the password does.
      await page.goto('/');
      await expect(page.getByRole('heading', { name: 'Your own container hub' })).toBeVisible();
      await logIn(page, js, name);
      await expect(page).toHaveURL(/\/$/);
      // Unconfirmed: the dashboard says why repositories cannot be created yet.
      await ready(page, js);
      await expect(page.getByText('Confirm your email address.')).toBeVisible();
      await expect(page.getByText('Email not confirmed')).toBeVisible();

      const mail = await waitForMail(email);
      expect(mail.subject).toBe('Please confirm email for your Berth ID');
      await page.goto(linkIn(mail, '/confirm-email'));
      await expect(page).toHaveURL(/\/\?confirmed=1$/);
      await ready(page, js);
      await expect(page.getByText('Your email address is confirmed.')).toBeVisible();
      await expect(page.getByText('Email confirmed', { exact: true })).toBeVisible();
      await expect(page.getByRole('heading', { name: 'Repositories' })).toBeVisible();
      await shot(page, `${tag}-dashboard`);

      await logOut(page);
      await logIn(page, js, name);
      await expect(page).toHaveURL(/\/$/);
      await expect(page.getByRole('heading', { name: 'Repositories' })).toBeVisible();
      await expect(page.locator('.user-menu summary')).toContainText(name);

      await page.goto(`/u/${name}`);
      await ready(page, js);
      await expect(page.getByRole('heading', { name })).toBeVisible();
      await shot(page, `${tag}-profile`);
    });

    test('bad input shows errors next to the fields and keeps what was typed', async ({ page }) => {
      await page.goto('/signup');
      await ready(page, js);
      await page.getByLabel('Berth ID').fill('Bad Name');
      await page.getByLabel('Email').fill('not-an-address');
      await page.getByLabel('Password').fill('short');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await expect(page.locator('#field-username-error')).toContainText('only lowercase letters');
      await expect(page.locator('#field-email-error')).toContainText('valid email address');
      await expect(page.locator('#field-password-error')).toContainText('at least 9 characters');
      await expect(page.getByLabel('Berth ID')).toHaveValue('Bad Name');
      await expect(page.getByLabel('Email')).toHaveValue('not-an-address');
      await expect(page.getByLabel('Berth ID')).toHaveAttribute('aria-invalid', 'true');
      await shot(page, `${tag}-signup-errors`);

      // A name that is taken, and a reserved one.
      const taken = uniqueName(`${tag}t`);
      await signUp(page, js, taken);
      await logOut(page);
      await page.goto('/signup');
      await ready(page, js);
      await page.getByLabel('Berth ID').fill(taken);
      await page.getByLabel('Email').fill(`other-${taken}@example.com`);
      await page.getByLabel('Password').fill(PASSWORD);
      await page.getByRole('button', { name: 'Sign up' }).click();
      await expect(page.locator('#field-username-error')).toContainText('already taken');
      await page.getByLabel('Berth ID').fill('library');
      await page.getByRole('button', { name: 'Sign up' }).click();
      await expect(page.locator('#field-username-error')).toContainText('reserved');

      // Wrong credentials: one message for the whole form.
      await logIn(page, js, taken, 'wrong-password');
      await expect(page.getByRole('alert')).toHaveText('Incorrect Berth ID, email or password.');
      await expect(page.getByLabel('Berth ID or email')).toHaveValue(taken);
      await shot(page, `${tag}-login-error`);
    });

    test('a used, expired or forged confirmation link is refused with a clear page', async ({ page }) => {
      const name = uniqueName(`${tag}l`);
      const email = `${name}@example.com`;
      await signUp(page, js, name);
      const link = linkIn(await waitForMail(email), '/confirm-email');
      await page.goto(link);
      await expect(page).toHaveURL(/\/\?confirmed=1$/);

      let res = await page.goto(link);
      expect(res?.status()).toBe(410);
      await ready(page, js);
      await expect(page.getByRole('heading', { name: 'This confirmation link has already been used' })).toBeVisible();
      await shot(page, `${tag}-link-used`);

      res = await page.goto('/confirm-email?token=forged-token');
      expect(res?.status()).toBe(404);
      await expect(page.getByRole('heading', { name: 'This confirmation link is not valid' })).toBeVisible();

      // Another account whose link is older than 24 hours.
      await logOut(page);
      const late = uniqueName(`${tag}x`);
      await signUp(page, js, late);
      const lateLink = linkIn(await waitForMail(`${late}@example.com`), '/confirm-email');
      sql("UPDATE user_tokens SET expires_at = 0, created_at = created_at - 90000 WHERE user_id = (SELECT id FROM users WHERE username = ?)", [late]);
      res = await page.goto(lateLink);
      expect(res?.status()).toBe(410);
      await ready(page, js);
      await expect(page.getByRole('heading', { name: 'This confirmation link has expired' })).toBeVisible();
      // The page offers a new link, and the new link works.
      await page.getByRole('button', { name: 'Resend confirmation email' }).click();
      await expect(page).toHaveURL(/\/welcome\?resent=1$/);
      await expect(page.getByText('We sent you a new confirmation link.')).toBeVisible();
      const fresh = linkIn(await waitForMail(`${late}@example.com`, 1), '/confirm-email');
      expect(fresh).not.toBe(lateLink);
      await page.goto(fresh);
      await expect(page).toHaveURL(/\/\?confirmed=1$/);
    });

    test('forgot password: reset by mail, old password refused, other sessions ended', async ({ page, browser }) => {
      const name = uniqueName(`${tag}r`);
      const email = `${name}@example.com`;
      await signUp(page, js, name);
      // A second device stays logged in until the reset.
      const other = await browser.newContext({ javaScriptEnabled: js });
      const otherPage = await other.newPage();
      await logIn(otherPage, js, name);
      await expect(otherPage.getByRole('heading', { name: 'Repositories' })).toBeVisible();
      await logOut(page);

      await page.getByRole('link', { name: 'Log in' }).first().click();
      await ready(page, js);
      await page.getByRole('link', { name: 'Forgot password?' }).click();
      await expect(page).toHaveURL(/\/forgot-password$/);
      await ready(page, js);
      await page.getByLabel('Email').fill(email);
      await page.getByRole('button', { name: 'Send reset link' }).click();
      await expect(page.getByText("If an account uses that address, we've sent it a link")).toBeVisible();

      const mail = await waitForMail(email, 1);
      expect(mail.subject).toBe('Reset the password of your Berth ID');
      const link = linkIn(mail, '/reset-password');
      await page.goto(link);
      await ready(page, js);
      await page.getByLabel('New password').fill('short');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page.locator('#field-password-error')).toContainText('at least 9 characters');
      await page.getByLabel('New password').fill('a-brand-new-password');
      await page.getByRole('button', { name: 'Change password' }).click();
      await expect(page).toHaveURL(/\/login\?reset=1$/);
      await expect(page.getByText('Your password was changed')).toBeVisible();

      await logIn(page, js, name);
      await expect(page.getByRole('alert')).toHaveText('Incorrect Berth ID, email or password.');
      await logIn(page, js, email, 'a-brand-new-password');
      await expect(page.getByRole('heading', { name: 'Repositories' })).toBeVisible();

      await otherPage.reload();
      await expect(otherPage.getByRole('heading', { name: 'Your own container hub' })).toBeVisible();
      await other.close();

      const res = await page.goto(link);
      expect(res?.status()).toBe(410);
      await expect(page.getByText('This link has already been used.')).toBeVisible();
    });
  });
}

test('pages read well on a phone', async ({ browser }) => {
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, isMobile: true });
  const page: Page = await context.newPage();
  await page.goto('/');
  await ready(page, true);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow).toBeLessThanOrEqual(0);
  await shot(page, 'phone-landing');
  await page.goto('/signup');
  await shot(page, 'phone-signup');
  await context.close();
});
