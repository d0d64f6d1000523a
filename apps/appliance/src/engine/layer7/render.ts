import { render } from '@sluice/haproxy-config';
import type { ApplianceConfig } from '../../model/schema.js';
import { configError } from './fields.js';
import { type Layer7Model, type Layer7ModelOptions, layer7Model } from './model.js';

export interface Layer7Rendered extends Layer7Model {
  /** The whole haproxy.cfg. */
  text: string;
}

/**
 * The model and its haproxy.cfg text. Every user string is checked by the renderer (no
 * control character, names and addresses in their shapes, free text quoted), so nothing in
 * the configuration can start a line of its own; a refusal names the configuration field.
 */
export function renderLayer7(config: ApplianceConfig, options: Layer7ModelOptions): Layer7Rendered {
  const mapped = layer7Model(config, options);
  try {
    return { ...mapped, text: render(mapped.model) };
  } catch (error) {
    throw configError(error, mapped.fields);
  }
}
