import { destinationAttrs, destinationKeyAttrs, serviceAttrs, serviceKeyAttrs } from './kernel/codec.js';
import { Cmd, CmdAttr, IPVS_GENL_VERSION } from './kernel/constants.js';
import type { GenlRequest } from './netlink/message.js';
import type { DestinationSpec, ServiceKey, ServiceSpec } from './types.js';
import { validateDestination, validateDestinationKey, validateService, validateServiceKey } from './validate.js';

/** One change to the table; `plan()` produces them, `IpvsClient.execute()` runs them. */
export type Operation =
  | { op: 'add-service'; service: ServiceSpec }
  | { op: 'edit-service'; service: ServiceSpec }
  | { op: 'delete-service'; service: ServiceKey }
  | { op: 'add-destination'; service: ServiceKey; destination: DestinationSpec }
  | { op: 'edit-destination'; service: ServiceKey; destination: DestinationSpec }
  | { op: 'delete-destination'; service: ServiceKey; destination: { address: string; port: number } };

const SERVICE_CMD = { 'add-service': Cmd.NEW_SERVICE, 'edit-service': Cmd.SET_SERVICE } as const;
const DEST_CMD = { 'add-destination': Cmd.NEW_DEST, 'edit-destination': Cmd.SET_DEST } as const;

/** Checks an operation as `execute()` will, each field under `prefix`. */
export function validateOperation(op: Operation, prefix: string): void {
  const field = (f: string) => (prefix ? `${prefix}.${f}` : f);
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      validateService(op.service, field('service'));
      return;
    case 'delete-service':
      validateServiceKey(op.service, field('service'), { persistent: true });
      return;
    case 'add-destination':
    case 'edit-destination':
      validateServiceKey(op.service, field('service'), { persistent: true });
      validateDestination(op.destination, op.service, field('destination'));
      return;
    case 'delete-destination':
      validateServiceKey(op.service, field('service'), { persistent: true });
      validateDestinationKey(op.destination, field('destination'));
      return;
  }
}

/** Validates an operation and builds its netlink request. */
export function operationRequest(op: Operation, family: number, prefix: string): GenlRequest {
  validateOperation(op, prefix);
  const base = { family, version: IPVS_GENL_VERSION, flags: 0 };
  switch (op.op) {
    case 'add-service':
    case 'edit-service':
      return { ...base, cmd: SERVICE_CMD[op.op], attrs: [{ type: CmdAttr.SERVICE, value: serviceAttrs(op.service) }] };
    case 'delete-service':
      return { ...base, cmd: Cmd.DEL_SERVICE, attrs: [{ type: CmdAttr.SERVICE, value: serviceKeyAttrs(op.service) }] };
    case 'add-destination':
    case 'edit-destination':
      return {
        ...base,
        cmd: DEST_CMD[op.op],
        attrs: [
          { type: CmdAttr.SERVICE, value: serviceKeyAttrs(op.service) },
          { type: CmdAttr.DEST, value: destinationAttrs(op.destination) },
        ],
      };
    case 'delete-destination':
      return {
        ...base,
        cmd: Cmd.DEL_DEST,
        attrs: [
          { type: CmdAttr.SERVICE, value: serviceKeyAttrs(op.service) },
          { type: CmdAttr.DEST, value: destinationKeyAttrs(op.destination) },
        ],
      };
  }
}
