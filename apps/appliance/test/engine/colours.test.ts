import { describe, expect, it } from 'vitest';
import { serverColour, serviceColour } from '../../src/engine/index.js';
import type { AdminState } from '../../src/model/admin-state.js';
import type { Colour, HealthState } from '../../src/model/engine-status.js';

const s = (admin: AdminState, health: HealthState) => ({ admin, health, colour: serverColour(admin, health) });

describe('colours', () => {
  it.each<[AdminState, HealthState, Colour]>([
    ['online', 'up', 'green'],
    ['online', 'unchecked', 'grey'],
    ['online', 'unknown', 'yellow'],
    ['online', 'down', 'red'],
    ['drain', 'up', 'blue'],
    ['drain', 'down', 'blue'],
    ['offline', 'up', 'blue'],
  ])('a server %s and %s is %s', (admin, health, colour) => {
    expect(serverColour(admin, health)).toBe(colour);
  });

  it('a VIP: all green green, all blue blue, none taking traffic red, otherwise yellow', () => {
    expect(serviceColour([s('online', 'up'), s('online', 'up')], true)).toBe('green');
    expect(serviceColour([s('online', 'up'), s('online', 'up')], false)).toBe('yellow');
    expect(serviceColour([s('offline', 'up'), s('drain', 'up')], true)).toBe('blue');
    expect(serviceColour([s('online', 'down'), s('offline', 'up')], true)).toBe('red');
    expect(serviceColour([s('online', 'down'), s('drain', 'up')], true)).toBe('red');
    expect(serviceColour([s('online', 'down'), s('online', 'up')], true)).toBe('yellow');
    expect(serviceColour([s('drain', 'up'), s('online', 'up')], true)).toBe('yellow');
    expect(serviceColour([], true)).toBe('red');
  });

  it('a VIP whose servers are unchecked is grey, never green; a part that failed makes it yellow', () => {
    expect(serviceColour([s('online', 'unchecked'), s('online', 'unchecked')], true)).toBe('grey');
    expect(serviceColour([s('online', 'up'), s('online', 'unchecked')], true)).toBe('grey');
    expect(serviceColour([s('online', 'unchecked'), s('offline', 'unchecked')], true)).toBe('yellow');
    expect(serviceColour([s('online', 'unchecked')], false)).toBe('yellow');
    expect(serviceColour([s('offline', 'unchecked')], true)).toBe('blue');
  });
});
