import { discardUnsaved } from './unsaved.js';

/** Hash routes: `#/overview`, `#/config/layer4/edit/web`. The page itself is always /lbadmin/. */
export function go(route: string): void {
  // The UI moves on by itself after a save or a Cancel: nothing left to warn about.
  discardUnsaved();
  if (location.hash === `#${route}`) window.dispatchEvent(new HashChangeEvent('hashchange'));
  else location.hash = route;
}

/**
 * After a save that took a while: move on only if its page is still shown. A user who
 * went to another page meanwhile is not pulled back, nor are edits made there dropped.
 */
export function goOnFrom(page: Element, route: string): void {
  if (page.isConnected) go(route);
}

export function currentRoute(): string[] {
  return location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((part) => decodeURIComponent(part));
}

export const routeTo = (...parts: string[]): string => `#/${parts.map(encodeURIComponent).join('/')}`;
