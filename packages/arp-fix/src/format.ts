import type { InspectReport, VipReport } from './inspect.js';

function arpLines(report: VipReport): string[] {
  if (!report.arp)
    return ['  ARP sysctls: not applicable (IPv6 uses neighbour discovery, answered only on the holding interface)'];
  const show = (v: number | undefined) => (v === undefined ? '-' : String(v));
  const lines = [
    `  ARP sysctls: all arp_ignore=${show(report.arp.all.arpIgnore)} arp_announce=${show(report.arp.all.arpAnnounce)}`,
  ];
  for (const i of report.arp.interfaces) {
    lines.push(
      `    ${i.ifname}: arp_ignore=${show(i.arpIgnore)} arp_announce=${show(i.arpAnnounce)} (effective ${i.effectiveIgnore}/${i.effectiveAnnounce})`,
    );
  }
  return lines;
}

/** The report as a person reads it: one block per VIP, findings with their remedies. */
export function formatReport(report: InspectReport): string {
  const out: string[] = [];
  for (const v of report.vips) {
    out.push(
      `${v.vip}: ${v.verdict === 'ok' ? 'OK' : 'PROBLEM'} (accepted by: ${v.method === 'none' ? 'nothing' : v.method === 'arp' ? 'VIP on lo' : 'netfilter redirect'})`,
    );
    out.push(`  on lo: ${v.loopback ? `yes, /${v.loopback.prefix}` : 'no'}`);
    if (v.onInterfaces.length > 0) out.push(`  on other interfaces: ${v.onInterfaces.join(', ')}`);
    out.push(
      `  redirect rule (${report.netfilter}): ${v.redirects.length > 0 ? v.redirects.map((r) => `${r.backend} ${r.table}/${r.chain}`).join(', ') : 'none'}`,
    );
    out.push(...arpLines(v));
    for (const p of v.ports)
      out.push(`  port ${p.port}: ${p.listening ? `listening on ${p.on.join(', ')}` : 'nothing listening'}`);
    for (const f of v.findings) {
      out.push(`  [${f.code}] ${f.message}`);
      for (const step of f.remedy) out.push(`      ${step}`);
    }
  }
  out.push(report.ok ? 'verdict: all VIPs are correctly set up for Direct Routing' : 'verdict: problems found');
  return `${out.join('\n')}\n`;
}
