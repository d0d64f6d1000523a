import { z } from 'zod';
import { terminationCertificateStatus } from '../../web/termination-certificates.js';
import type { ApiDeps } from '../deps.js';
import type { Route } from '../router.js';
import { terminationCertificateStatusSchema } from '../schemas/certificates.js';

/**
 * The SSL termination certificates of the configuration as this node's files hold them:
 * subject, names, expiry (and whether it is near), the terminations that present each.
 * The configuration names only a file; this is what the Certificates page and the
 * overview show of it.
 */
export function certificateStatusRoutes(deps: Pick<ApiDeps, 'store' | 'now'>): Route[] {
  return [
    {
      method: 'GET',
      path: '/certificate-status',
      summary: 'The SSL termination certificates: subject, names, expiry and the terminations using each',
      tag: 'certificates',
      access: 'read',
      responseSchema: z.array(terminationCertificateStatusSchema),
      handler: async () => ({
        body: await terminationCertificateStatus(deps.store.current().config, deps.now?.() ?? new Date()),
      }),
    },
  ];
}
