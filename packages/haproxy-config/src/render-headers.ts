import { invalidField } from './errors.js';
import type { ForwardFor, HeaderAction } from './model.js';
import { headerName, logFormatLiteral, network, oneOf } from './strings.js';

/** `option forwardfor [except <net>] [header <name>] [if-none]`. */
export function forwardForLine(value: boolean | ForwardFor | undefined, field: string): string[] {
  if (value === undefined || value === false) return [];
  if (value === true) return ['option forwardfor'];
  let line = 'option forwardfor';
  if (value.except !== undefined) line += ` except ${network(value.except, `${field}.except`)}`;
  if (value.header !== undefined) line += ` header ${headerName(value.header, `${field}.header`)}`;
  if (value.ifNone) line += ' if-none';
  return [line];
}

/** `http-request|http-response add-header|set-header|del-header` lines, in the given order. */
export function headerLines(actions: HeaderAction[] | undefined, field: string): string[] {
  return (actions ?? []).map((header, i) => {
    const at = `${field}[${i}]`;
    const action = oneOf(header.action, ['add', 'set', 'delete'], `${at}.action`);
    const on = oneOf(header.on ?? 'request', ['request', 'response'], `${at}.on`);
    const headerField = headerName(header.name, `${at}.name`);
    if (action === 'delete') return `http-${on} del-header ${headerField}`;
    if (header.value === undefined) throw invalidField(`${at}.value`, `${action} needs a value`);
    return `http-${on} ${action}-header ${headerField} ${logFormatLiteral(header.value, `${at}.value`)}`;
  });
}
