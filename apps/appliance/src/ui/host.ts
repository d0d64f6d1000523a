/** What this host can run, as `serve` printed it at start (it does not change while the daemon runs). */
import { type Capability, layer4Unavailable } from '../model/capability.js';
import { api } from './api.js';
import { h } from './dom.js';

let capabilities: Promise<Capability[]> | undefined;

export function hostCapabilities(): Promise<Capability[]> {
  capabilities ??= api.get<{ capabilities?: Capability[] }>('/health').then(
    (body) => body.capabilities ?? [],
    () => {
      // Asked again next time: a failed read says nothing about the host.
      capabilities = undefined;
      return [];
    },
  );
  return capabilities;
}

/** "Layer 4 is unavailable on this host, because ..." when it is, else undefined. */
export async function layer4Reason(): Promise<string | undefined> {
  return layer4Unavailable(await hostCapabilities());
}

/** The Layer 4 pages' notice: services are stored, but carry no traffic on this host. */
export async function layer4Notice(): Promise<HTMLElement | null> {
  const reason = await layer4Reason();
  if (reason === undefined) return null;
  return h(
    'p',
    { class: 'warnings', role: 'status', 'data-testid': 'layer4-unavailable' },
    `${reason} Layer 4 services are stored, but carry no traffic here.`,
  );
}
