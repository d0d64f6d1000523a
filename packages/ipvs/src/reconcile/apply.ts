import type { IpvsClient, OperationResult } from '../client.js';
import type { Plan } from './plan.js';

export interface ApplyReport {
  results: OperationResult[];
  applied: number;
  failed: number;
}

/**
 * Carries out a plan in bulk (many netlink messages per datagram) and reports every
 * item: nothing fails silently. A failed item does not stop the others: the table ends
 * as close to the desired state as the kernel allows, and the report says what is not.
 */
export async function apply(client: IpvsClient, plan: Plan): Promise<ApplyReport> {
  const results = await client.execute(plan.items.map((item) => item.operation));
  const failed = results.filter((r) => r.error).length;
  return { results, applied: results.length - failed, failed };
}
