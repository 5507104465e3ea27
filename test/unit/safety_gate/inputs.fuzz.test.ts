/**
 * Fuzzing the safety gate's inputs (fast-check): scans with REP 117 special values and hostile shapes,
 * odometry and commands with NaN/Inf, speed limits, e-stop events and uneven time steps, fed to one
 * long-lived SafetyGate (test/fuzz/scan-gate.ts). The gate never throws; its output is always finite,
 * within the configured maxima and the speed limit, and never speeds up faster than allowed; bad input is
 * refused and counted, and a refused scan stops the robot.
 *
 * A short slice with a fixed seed runs here; `npm run fuzz -- --only scans` runs 100,000. fast-check
 * prints the seed and the shrunk case of a failure: add it to KEPT below.
 */
import { describe, it, expect } from '@jest/globals';
import fc from 'fast-check';
import { GateFuzz, gateCaseArb, type GateCase } from '../../fuzz/scan-gate';

/** Counterexamples found by fuzzing (shrunk), replayed first on every run. */
const KEPT: GateCase[] = [];

const SEED = 20261207;

describe('safety gate input fuzz', () => {
  it('stays finite, within limits and refuses bad input, for any sequence of scans, odometry and commands', () => {
    const fz = new GateFuzz();
    fc.assert(
      fc.property(gateCaseArb, (c) => {
        expect(fz.run(c)).toEqual([]);
      }),
      { numRuns: 2000, seed: SEED, examples: KEPT.map((c) => [c]) },
    );
    const k = fz.counts;
    // the mix reached both sides of every check
    expect(k.scansRefused).toBeGreaterThan(0);
    expect(k.scans - k.scansRefused).toBeGreaterThan(0);
    expect(k.odomRefused).toBeGreaterThan(0);
    expect(k.commandsRefused).toBeGreaterThan(0);
    expect(k.movingSteps).toBeGreaterThan(0);
  });
});
