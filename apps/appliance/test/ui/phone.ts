import type { Page } from 'playwright-core';
import { expect } from 'vitest';

/** A phone's viewport (an iPhone 12-15's CSS pixels). */
export const PHONE = { width: 390, height: 844 } as const;

/** How wide the page is laid out: more than the viewport means the whole page scrolls sideways. */
export const sidewaysScroll = (page: Page) =>
  page.evaluate(() => Math.max(document.documentElement.scrollWidth, document.body.scrollWidth));

/**
 * Press the button named `name` as a phone user would: scrolled to, inside the viewport,
 * not covered by anything (the element at its centre is the button itself), then a real
 * click at that point.
 */
export async function pressOnPhone(page: Page, name: string): Promise<void> {
  const button = page.getByRole('button', { name, exact: true });
  await button.scrollIntoViewIfNeeded();
  expect(await button.isVisible(), `${name} is visible`).toBe(true);
  expect(await button.isEnabled(), `${name} is enabled`).toBe(true);
  const box = await button.boundingBox();
  if (box === null) throw new Error(`${name} has no box`);
  const viewport = page.viewportSize() ?? PHONE;
  expect(box.x).toBeGreaterThanOrEqual(0);
  expect(box.y).toBeGreaterThanOrEqual(0);
  expect(box.x + box.width, `${name} ends inside the viewport`).toBeLessThanOrEqual(viewport.width);
  expect(box.y + box.height, `${name} ends inside the viewport`).toBeLessThanOrEqual(viewport.height);
  const centre = { x: box.x + box.width / 2, y: box.y + box.height / 2 };
  const onTop = await button.evaluate((el, at) => {
    const top = document.elementFromPoint(at.x, at.y);
    return top !== null && (top === el || el.contains(top));
  }, centre);
  expect(onTop, `${name} is not covered`).toBe(true);
  await page.mouse.click(centre.x, centre.y);
}
