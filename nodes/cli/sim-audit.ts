/**
 * `kizuna sim --audit DIR`: each robot's audit log kept in DIR/<robot>, what its link proxy carried in
 * DIR/link-bytes.json, and the two compared after the run: the bytes of the packets the audit recorded
 * against the bytes the proxy counted on the wire, each way.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { AuditSummer, readAudit } from '../core/audit/read';
import type { LinkBytes } from '../../sim/fleet/shard';

/** One robot's audit against its link proxy. */
export interface AuditVsLink {
  robotId: string;
  chainOk: boolean;
  audited: { out: number; in: number };
  proxy: { out: number; in: number };
  /** [bytes] proxy minus audit, both ways together: 0 when every byte on the wire is in the log. */
  unaccounted: number;
}

/** Compares each robot's log in `dir` with its proxy's count, writes DIR/link-bytes.json; returns the rows and lines to print. */
export function auditAgainstLinks(dir: string, links: readonly LinkBytes[]): { rows: AuditVsLink[]; lines: string[] } {
  writeFileSync(join(dir, 'link-bytes.json'), `${JSON.stringify({ robots: links }, null, 2)}\n`);
  const rows: AuditVsLink[] = [];
  const lines: string[] = [];
  const num = (n: number): string => n.toLocaleString('en-US');
  for (const l of links) {
    const sum = new AuditSummer('category');
    let chainOk = false;
    try {
      chainOk = readAudit(join(dir, l.robotId), (r) => sum.add(r)).ok;
    } catch (err) {
      lines.push(`audit ${l.robotId}: ${(err as Error).message}`);
      continue;
    }
    const t = sum.result().total;
    const row: AuditVsLink = {
      robotId: l.robotId,
      chainOk,
      audited: { out: t.out.bytes, in: t.in.bytes },
      proxy: { out: l.bytesUp, in: l.bytesDown },
      unaccounted: Math.abs(l.bytesUp - t.out.bytes) + Math.abs(l.bytesDown - t.in.bytes),
    };
    rows.push(row);
    lines.push(
      `audit ${l.robotId}: chain ${chainOk ? 'intact' : 'BROKEN'}; sent ${num(row.audited.out)} bytes (link proxy ${num(row.proxy.out)}), ` +
        `received ${num(row.audited.in)} (link proxy ${num(row.proxy.in)}): ${num(row.unaccounted)} bytes unaccounted for`,
    );
  }
  return { rows, lines };
}
