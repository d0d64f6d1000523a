/**
 * The address an admin's request came in on (the socket's local address) is the one thing
 * certain to cut them off when removed: a change that removes it is refused unless the
 * request says it knows (`?addressLoss=accept`, the WUI asks first). A trial would roll it
 * back, but only after the admin has stared at a dead page for two minutes.
 */
import { ApplianceError } from '../errors.js';
import { sameAddress } from '../model/addresses.js';
import type { ApplianceConfig } from '../model/schema.js';

/** `::ffff:192.0.2.21` (an IPv4 client on a dual-stack socket) -> `192.0.2.21`. */
const plain = (address: string) => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/i, '');

function addressesOf(config: unknown): { name: string; cidr: string }[] {
  const interfaces = (config as { network?: { interfaces?: unknown } } | null)?.network?.interfaces;
  if (!Array.isArray(interfaces)) return [];
  return interfaces.flatMap((nic: { name?: unknown; addresses?: unknown }) =>
    Array.isArray(nic?.addresses)
      ? nic.addresses
          .filter((a): a is string => typeof a === 'string')
          .map((cidr) => ({ name: String(nic.name), cidr }))
      : [],
  );
}

/** Throws NETWORK_ADDRESS_IN_USE when `after` drops the configured address `local` (the request's) that `before` had. */
export function refuseRemovingOwnAddress(
  before: ApplianceConfig,
  after: unknown,
  local: string | undefined,
  accepted: boolean,
): void {
  if (local === undefined || accepted) return;
  const ip = plain(local);
  const held = addressesOf(before).find(({ cidr }) => sameAddress(cidr.split('/')[0] ?? '', ip));
  if (held === undefined) return;
  if (addressesOf(after).some(({ cidr }) => sameAddress(cidr.split('/')[0] ?? '', ip))) return;
  const field = `network.interfaces`;
  throw new ApplianceError(
    'NETWORK_ADDRESS_IN_USE',
    `${field}: this change removes ${held.cidr} from ${held.name}, the address this request came in on: you would lose the connection. Send it again with ?addressLoss=accept to apply it anyway (it is rolled back unless confirmed from the new address)`,
    { field },
  );
}
