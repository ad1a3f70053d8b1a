// Address slots. Several checkouts of the repo on one machine may each run a bed; two beds with the same
// pod IPs would bind each other's listener addresses and answer each other's probes. So each bed takes
// its own slot S (pod CIDRs 127.(20+i).S.0/24 and ports 20000+200*S+..., see topology.ts), claimed by creating the file <S> in a
// machine-wide folder, holding the claiming repo's root, and recorded in .testbed/slot.
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existingContexts } from './kwokctl.js';
import { repoRoot, slotPath, stateDir } from './paths.js';
import { otherBeds } from './processes.js';
import { bedSlot, MAX_SLOT } from './topology.js';

const registry = process.env.TESTBED_SLOT_REGISTRY ?? join(tmpdir(), 'k8ssandra-testbed-slots');
const CLAIM_GRACE_MS = 60_000; // a fresh claim whose bed has not recorded its slot yet is not stale

function claimFile(slot: number): string {
  return join(registry, String(slot));
}

function claimant(slot: number): string | undefined {
  try {
    return readFileSync(claimFile(slot), 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** A claim is stale when its bed is gone: that repo's .testbed/slot no longer names this slot. */
function isStale(slot: number, root: string): boolean {
  if (Date.now() - statSync(claimFile(slot)).mtimeMs < CLAIM_GRACE_MS) return false;
  try {
    return Number(readFileSync(join(root, '.testbed', 'slot'), 'utf8').trim()) !== slot;
  } catch {
    return true;
  }
}

/** Claims `slot` for this repo; false when another live bed holds it. */
function tryClaim(slot: number): boolean {
  mkdirSync(registry, { recursive: true });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(claimFile(slot), `${repoRoot}\n`, { flag: 'wx' });
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = claimant(slot);
      if (owner === repoRoot) return true;
      if (owner === undefined || !isStale(slot, owner)) return false;
      rmSync(claimFile(slot), { force: true });
    }
  }
  return false;
}

/**
 * The bed's slot: kept once recorded (a running bed keeps its addresses), forced by TESTBED_SLOT, else
 * the lowest slot that no other bed claims or uses (beds from before slots existed use 0, unclaimed).
 */
export function chooseSlot(log: (line: string) => void): number {
  const others = otherBeds();
  let slot: number;
  if (process.env.TESTBED_SLOT !== undefined || existsSync(slotPath)) {
    slot = bedSlot();
    tryClaim(slot);
  } else if (existingContexts().length > 0) {
    slot = 0; // clusters made before slots were recorded have slot-0 nodes
    tryClaim(slot);
  } else {
    slot = 0;
    while (slot <= MAX_SLOT && (others.some((b) => b.slot === slot) || !tryClaim(slot))) slot++;
    if (slot > MAX_SLOT) throw new Error(`no free test bed slot among 0..${MAX_SLOT} (claims in ${registry}): \`npm run testbed -- down\` in checkouts whose bed is not needed`);
  }
  for (const other of others.filter((b) => b.slot === slot)) {
    log(`warning: the test bed in ${other.root} uses the same pod IPs (slot ${slot}); probe pods of the two beds will clash`);
  }
  if (others.length) log(`other test beds: ${others.map((b) => `${b.root} (slot ${b.slot})`).join(', ')}; this one: slot ${slot}`);
  mkdirSync(stateDir, { recursive: true });
  writeFileSync(slotPath, `${slot}\n`);
  return slot;
}

/** Gives the slot back (on `down`). */
export function releaseSlot(): void {
  if (!existsSync(slotPath)) return;
  const slot = bedSlot();
  if (claimant(slot) === repoRoot) rmSync(claimFile(slot), { force: true });
}
