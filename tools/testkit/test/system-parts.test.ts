// The system tier's pure parts: which archive the root comes from, its cache key, and how
// a command reaches the guest's agent.
import { describe, expect, it } from 'vitest';
import { commandScript } from '../src/system/channel.js';
import { debianSources, SUITE, sysrootKey, sysrootPackages } from '../src/system/sysroot.js';

// `apt-cache policy` of a Debian 12 host with a third-party repository beside Debian's.
const POLICY = `Package files:
 100 /var/lib/dpkg/status
     release a=now
 500 https://packages.example.org/apt cloud-bookworm/main amd64 Packages
     release o=example,a=cloud-bookworm,n=cloud-bookworm,l=example,c=main,b=amd64
     origin packages.example.org
 500 http://mirror.example.net/debian-security bookworm-security/main amd64 Packages
     release v=12,o=Debian,a=oldstable-security,n=bookworm-security,l=Debian-Security,c=main,b=amd64
     origin mirror.example.net
 500 http://mirror.example.net/debian bookworm-updates/main amd64 Packages
     release v=12-updates,o=Debian,a=oldstable-updates,n=bookworm-updates,l=Debian,c=main,b=amd64
     origin mirror.example.net
 500 http://mirror.example.net/debian bookworm/main amd64 Packages
     release v=12.15,o=Debian,a=oldstable,n=bookworm,l=Debian,c=main,b=amd64
     origin mirror.example.net
 500 http://mirror.example.net/debian trixie/main amd64 Packages
     release v=13,o=Debian,a=stable,n=trixie,l=Debian,c=main,b=amd64
Pinned packages:
`;

describe('the system tests’ Debian root', () => {
  it('comes from the host’s Debian archive for Debian 12 only: no other origin, no other release', () => {
    expect(SUITE).toBe('bookworm');
    expect(debianSources(POLICY)).toEqual([
      'deb http://mirror.example.net/debian bookworm main',
      'deb http://mirror.example.net/debian bookworm-updates main',
      'deb http://mirror.example.net/debian-security bookworm-security main',
    ]);
    expect(debianSources('Package files:\n 100 /var/lib/dpkg/status\n     release a=now\n')).toEqual([]);
  });

  it('is keyed by its package set: order, repeats and comments do not count, a new package does', () => {
    const list = sysrootPackages('# the init\nsystemd\n\ndbus # and its bus\n');
    expect(list).toEqual(['systemd', 'dbus']);
    expect(sysrootKey(list)).toBe(sysrootKey(['dbus', 'systemd', 'dbus']));
    expect(sysrootKey(list)).not.toBe(sysrootKey([...list, 'haproxy']));
    expect(sysrootKey(list)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('asks for systemd as PID 1 and for what the appliance’s package depends on', () => {
    expect(sysrootPackages()).toEqual(
      expect.arrayContaining(['systemd', 'systemd-sysv', 'dbus', 'iproute2', 'haproxy', 'nftables', 'kmod', 'ipvsadm']),
    );
  });
});

describe('a command for the guest’s agent', () => {
  it('is a bash script as given, or one command with every word quoted', () => {
    expect(commandScript('echo a | wc -c')).toBe('echo a | wc -c\n');
    expect(commandScript(['printf', '%s', "it's $HOME"])).toBe(`'printf' '%s' 'it'\\''s $HOME'\n`);
    expect(() => commandScript([])).toThrow(/empty command/);
  });
});
