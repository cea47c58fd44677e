import { expect, test, type Page } from '@playwright/test';
import { createHmac } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { confirmedUser, createRepository, failOnConsoleProblems, ready, shot } from './helpers';

// Webhooks in the browser, with and without JavaScript: add one on the Settings tab, send a test
// event, see the delivery in the log, redeliver it; a real receiver on loopback checks what it gets.

interface Got {
  headers: http.IncomingHttpHeaders;
  body: string;
}

async function startReceiver(): Promise<{ url: string; got: Got[]; close: () => Promise<void> }> {
  const got: Got[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      got.push({ headers: req.headers, body });
      res.writeHead(200, { 'content-type': 'text/plain' }).end('received by the browser test');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/hook`, got, close: () => new Promise((r) => server.close(() => r())) };
}

/** Reloads the webhook's page until its newest delivery shows `state`. */
async function deliveryShows(page: Page, js: boolean, text: string) {
  await expect(async () => {
    await page.reload();
    await ready(page, js);
    await expect(page.locator('.delivery').first()).toContainText(text, { timeout: 500 });
  }).toPass({ timeout: 20_000 });
}

for (const js of [true, false]) {
  test.describe(`webhooks ${js ? 'with' : 'without'} JavaScript`, () => {
    test.use({ javaScriptEnabled: js });
    failOnConsoleProblems(js);

    test('add a webhook, send a test event, see it delivered, redeliver it', async ({ page }) => {
      const mode = js ? 'js' : 'nojs';
      const receiver = await startReceiver();
      try {
        const owner = await confirmedUser(page, js, 'wh');
        await createRepository(page, js, 'app', 'Public');
        await expect(page).toHaveURL(new RegExp(`/r/${owner}/app\\?created=1$`));
        await page.goto(`/r/${owner}/app?tab=settings&section=webhooks`);
        await ready(page, js);
        const section = page.locator('#webhooks');
        // An internal address is refused beside the field.
        await section.getByLabel('Webhook name').fill('deploy');
        await section.getByLabel('Destination URL').fill('http://169.254.169.254/latest');
        await section.getByRole('button', { name: 'Add webhook' }).click();
        await expect(page.locator('#webhooks').getByText('which webhooks may not reach')).toBeVisible();
        await page.locator('#webhooks').getByLabel('Webhook name').fill('deploy');
        await page.locator('#webhooks').getByLabel('Destination URL').fill(receiver.url);
        await page.locator('#webhooks').getByLabel('Tag deleted').check();
        await page.locator('#webhooks').getByLabel('Secret (optional)').fill('browser secret');
        await page.locator('#webhooks').getByRole('button', { name: 'Add webhook' }).click();
        await expect(page).toHaveURL(new RegExp(`/r/${owner}/app/webhooks/\\d+\\?saved=created$`));
        await expect(page.getByText('Webhook added')).toBeVisible();
        await ready(page, js);

        await page.getByRole('button', { name: 'Send test event' }).click();
        await expect(page.getByText('Test event queued')).toBeVisible();
        await expect.poll(() => receiver.got.length, { timeout: 15_000 }).toBe(1);
        const first = receiver.got[0];
        expect(first.headers['x-berth-event']).toBe('test');
        expect(first.headers['x-berth-signature-256']).toBe(
          'sha256=' + createHmac('sha256', 'browser secret').update(first.body).digest('hex'),
        );
        expect(JSON.parse(first.body).repository.repo_name).toBe(`${owner}/app`);
        await deliveryShows(page, js, 'delivered');
        const delivery = page.locator('.delivery').first();
        await delivery.locator('summary').click();
        await expect(delivery).toContainText('X-Berth-Event: test');
        await expect(delivery).toContainText('status 200');
        await expect(delivery).toContainText('received by the browser test');
        await shot(page, `webhook-log-${mode}`);

        // Redeliver: the same delivery again, a second attempt in the log.
        await delivery.getByRole('button', { name: /^Redeliver / }).click();
        await expect(page.getByText('Delivery queued again')).toBeVisible();
        await expect.poll(() => receiver.got.length, { timeout: 15_000 }).toBe(2);
        expect(receiver.got[1].headers['x-berth-delivery']).toBe(first.headers['x-berth-delivery']);
        expect(receiver.got[1].body).toBe(first.body);
        await deliveryShows(page, js, 'delivered');
        await page.locator('.delivery').first().locator('summary').click();
        await expect(page.locator('.delivery').first()).toContainText('Attempt 2');

        // The Settings tab lists it with its state.
        await page.goto(`/r/${owner}/app?tab=settings&section=webhooks`);
        await ready(page, js);
        await expect(page.locator('#webhooks .repo-item')).toContainText('deploy');
        await expect(page.locator('#webhooks .repo-item')).toContainText('delivered');
        await shot(page, `webhook-settings-${mode}`);
      } finally {
        await receiver.close();
      }
    });
  });
}
