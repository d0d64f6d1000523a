import { errnoName, IpvsError, type IpvsErrorCode } from '../errors.js';
import type { KernelError } from '../netlink/connection.js';
import { Cmd } from './constants.js';

const EPERM = 1;
const ENOENT = 2;
const ESRCH = 3;
const EACCES = 13;
const EEXIST = 17;
const EINVAL = 22;
const ERANGE = 34;
const EOPNOTSUPP = 95;
const EAFNOSUPPORT = 97;

/**
 * Maps a kernel errno to a coded error. IPVS reuses errnos per command: ENOENT means a
 * missing scheduler or persistence engine module when adding or editing a service, and
 * a missing destination when editing or deleting one.
 */
export function kernelError(error: KernelError, what: string, cmd?: number): IpvsError {
  const errno = error.errno;
  let code: IpvsErrorCode = 'IPVS_KERNEL_ERROR';
  let detail = errnoName(errno);
  let field: string | undefined;
  const daemon = cmd === Cmd.NEW_DAEMON || cmd === Cmd.DEL_DAEMON;
  if (errno === EEXIST) {
    code = 'IPVS_EXISTS';
    detail = daemon
      ? 'that sync daemon is running'
      : cmd === Cmd.NEW_DEST
        ? 'the destination exists'
        : 'the service exists';
  } else if (errno === ESRCH) {
    code = 'IPVS_NOT_FOUND';
    detail = daemon ? 'no such sync daemon is running' : 'no such service';
  } else if (errno === ENOENT) {
    if (cmd === Cmd.NEW_SERVICE || cmd === Cmd.SET_SERVICE) {
      code = 'IPVS_FEATURE_UNAVAILABLE';
      field = 'scheduler';
      detail = 'this kernel lacks the scheduler or persistence engine (module not available)';
    } else {
      code = 'IPVS_NOT_FOUND';
      detail = cmd === Cmd.SET_DEST || cmd === Cmd.DEL_DEST ? 'no such destination' : 'not found';
    }
  } else if (errno === EPERM || errno === EACCES) {
    code = 'IPVS_PERMISSION';
    detail = 'changing IPVS needs CAP_NET_ADMIN (root)';
  } else if (errno === EINVAL || errno === ERANGE || errno === EAFNOSUPPORT) {
    code = 'IPVS_KERNEL_INVALID';
    detail = `the kernel refused a value (${errnoName(errno)})`;
  } else if (errno === EOPNOTSUPP) {
    code = 'IPVS_FEATURE_UNAVAILABLE';
    detail = 'this kernel does not support it';
  }
  return new IpvsError(code, `${what}: ${detail}`, { cause: error, errno, ...(field ? { field } : {}) });
}
