import { expect, test } from '@playwright/test';
import { confirmedUser, createRepository, failOnConsoleProblems, logIn, logOut, ready, uniqueName, signUp } from './helpers';

// User text that would run as script if any page wrote it unescaped: inside the overview
// editor's textarea, and in data serialised for hydration.
const TEXTAREA_PAYLOAD = '# Notes\n\n</textarea><script>window.__pwned = 1</script>\n';
const HYDRATION_PAYLOAD = '</script><script>window.__pwned2 = 1</script>';

for (const js of [true, false]) {
  const mode = js ? 'with JavaScript' : 'without JavaScript';
  const tag = js ? 'hjs' : 'hno';

  test.describe(`hardening ${mode}`, () => {
    test.use({ javaScriptEnabled: js });
    failOnConsoleProblems(js);

    test('user text never runs as script in the overview editor or the page data', async ({ page }) => {
      const name = await confirmedUser(page, js, tag);
      await createRepository(page, js, 'notes', 'Public', HYDRATION_PAYLOAD.slice(0, 100));
      await expect(page).toHaveURL(new RegExp(`/r/${name}/notes\\?created=1$`));
      await page.goto(`/r/${name}/notes?tab=settings`);
      await ready(page, js);
      await page.getByLabel('Overview (Markdown)').fill(TEXTAREA_PAYLOAD);
      await page.getByRole('button', { name: 'Save', exact: true }).click();
      await expect(page.getByText('Descriptions saved.')).toBeVisible();
      for (const where of [`/r/${name}/notes?tab=settings`, `/r/${name}/notes?edit=overview`, `/r/${name}/notes`]) {
        await page.goto(where);
        await ready(page, js);
        if (!where.endsWith('/notes')) {
          // The source comes back exactly as typed, as text.
          await expect(page.getByLabel('Overview (Markdown)')).toHaveValue(TEXTAREA_PAYLOAD);
        }
        expect(await page.evaluate(() => (window as any).__pwned), `${where}: textarea breakout`).toBeUndefined();
        expect(await page.evaluate(() => (window as any).__pwned2), `${where}: hydration data breakout`).toBeUndefined();
      }
    });

    test('a refused plain login keeps its error out of the address bar and shows it once', async ({ page }) => {
      const name = uniqueName(`${tag}f`);
      await signUp(page, js, name);
      await logOut(page);
      await logIn(page, js, name, 'not-the-password');
      await expect(page.getByText('Incorrect Berth ID, email or password.')).toBeVisible();
      await expect(page.getByLabel('Berth ID or email')).toHaveValue(name);
      expect(page.url()).not.toContain('__err');
      expect(page.url()).not.toContain(name);
      await page.reload();
      await ready(page, js);
      await expect(page.getByText('Incorrect Berth ID, email or password.')).toHaveCount(0);
    });
  });
}
