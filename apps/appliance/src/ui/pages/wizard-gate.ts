import { loadConfig } from '../state.js';

/** Set in this browser once the wizard is finished or skipped. */
export const DISMISSED = 'sluice.wizard.done';

/** First access: nothing configured yet and the wizard neither finished nor skipped in this browser. */
export async function needsWizard(): Promise<boolean> {
  if (localStorage.getItem(DISMISSED)) return false;
  const { config } = await loadConfig();
  return config.layer4.length === 0 && config.layer7.length === 0;
}
