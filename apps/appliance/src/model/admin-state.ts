// Real servers by labels and what an administrator asked of them, as the API and the UI show them.

/** What an administrator asked of a real server (or of every server of a VIP). */
export type AdminState = 'online' | 'drain' | 'offline';
export type Layer = 'layer4' | 'layer7';

/** A real server by labels: `{ layer: 'layer4', service: 'web', server: 'alpha' }`. */
export interface RealServerRef {
  layer: Layer;
  service: string;
  server: string;
}

export interface AdminStateEntry extends RealServerRef {
  state: AdminState;
  author: string;
  /** ISO 8601, UTC. */
  time: string;
}
