import type { ApplianceConfig } from '../model/schema.js';

/**
 * What a rollback makes current: the old version's configuration with today's users. A
 * rollback undoes a change to the load balancer; it must not bring back a password that
 * was changed (a leaked one, the first-boot one), nor a user that was removed, with the
 * sessions and tokens that went with them. Users change by commits only.
 */
export function withCurrentUsers(old: ApplianceConfig, current: ApplianceConfig): ApplianceConfig {
  return { ...old, administration: { ...old.administration, users: current.administration.users } };
}
