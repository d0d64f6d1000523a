/**
 * The banner of a network change under trial: on every page while one waits, with the
 * seconds left and "Keep these network settings" (POST /network/confirm). The admin who
 * sees it still reaches the appliance, which is what confirming says; one who cannot
 * reach it any more gets the old settings back when the countdown ends.
 */
import type { HostNetworkStatus } from '../model/host-network-status.js';
import { api } from './api.js';
import { h, toast } from './dom.js';

let stopCountdown: (() => void) | undefined;

function banner(): HTMLElement {
  let element = document.getElementById('network-trial');
  if (element === null) {
    element = h('div', { id: 'network-trial', class: 'network-trial', role: 'alert', hidden: true });
    document.getElementById('statusbar')?.after(element);
  }
  return element;
}

function hide(): void {
  stopCountdown?.();
  stopCountdown = undefined;
  const element = banner();
  element.hidden = true;
  element.replaceChildren();
}

function show(trial: NonNullable<HostNetworkStatus['trial']>): void {
  stopCountdown?.();
  const element = banner();
  const deadline = Date.now() + trial.secondsLeft * 1000;
  const left = h('strong', { 'data-testid': 'network-trial-left' });
  const tick = () => {
    const seconds = Math.max(0, Math.ceil((deadline - Date.now()) / 1000));
    left.textContent = seconds > 0 ? `${seconds} s` : 'now';
    if (seconds === 0) {
      hide();
      toast('The network change was not confirmed: the previous settings are being restored', true);
    }
  };
  const keep = h(
    'button',
    {
      type: 'button',
      class: 'primary',
      onclick: async () => {
        try {
          await api.post('/network/confirm', {});
          hide();
          toast('Network settings kept');
        } catch (error) {
          toast((error as Error).message, true);
        }
      },
    },
    'Keep these network settings',
  );
  element.replaceChildren(
    h(
      'span',
      {},
      `Configuration version ${trial.version} changed this appliance's addresses, gateways or routes. Unless you keep them, the settings of version ${trial.restoreVersion} come back in `,
      left,
      '.',
    ),
    keep,
  );
  element.hidden = false;
  tick();
  const timer = setInterval(tick, 1000);
  stopCountdown = () => clearInterval(timer);
}

/**
 * Shows the banner when a change waits for confirmation. `after`: the version just stored;
 * the host network applies it after the engine, so its status is asked again until it has.
 */
export async function checkNetworkTrial(after?: number): Promise<void> {
  for (let attempt = 0; attempt < 20; attempt++) {
    let status: HostNetworkStatus;
    try {
      status = await api.get<HostNetworkStatus>('/network/status', { quiet: true });
    } catch {
      return;
    }
    const pending =
      after !== undefined && status.managed && status.state !== 'ha-pair' && (status.appliedVersion ?? 0) < after;
    if (!pending) {
      if (status.trial) show(status.trial);
      else hide();
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
