import { api } from './api.js';
import { h } from './dom.js';

/** HTTP and HTTPS ports: the ones bound now (`GET /web-ports`), or the configured ones. */
export interface WebPorts {
  httpPort: number;
  httpsPort: number;
}

/**
 * What the Administration page says of the ports: the ones the UI and the API listen on
 * now, and, when the configured ones differ, why (the daemon reads them at its start, and
 * --port/--https-port override them) and when they would apply.
 */
export function webPortsText(running: WebPorts, configured: WebPorts): { now: string; differs?: string } {
  const now = `The web interface and the API listen on HTTP port ${running.httpPort} and HTTPS port ${running.httpsPort}.`;
  if (running.httpPort === configured.httpPort && running.httpsPort === configured.httpsPort) return { now };
  return {
    now,
    differs: `The configured ports below (HTTP ${configured.httpPort}, HTTPS ${configured.httpsPort}) are not in use: the appliance reads them when it starts, and --port or --https-port (SLUICE_HTTP_PORT, SLUICE_HTTPS_PORT) override them. They take effect at the next start without those.`,
  };
}

/** The notice above the ports form; null when the running ports cannot be read. */
export async function webPortsNotice(configured: WebPorts): Promise<HTMLElement | null> {
  const running = await api.get<WebPorts>('/web-ports').catch(() => undefined);
  if (running === undefined) return null;
  const text = webPortsText(running, configured);
  return h(
    'div',
    { 'data-testid': 'web-ports' },
    h('p', {}, text.now),
    text.differs === undefined ? null : h('p', { class: 'warnings' }, `⚠ ${text.differs}`),
  );
}
