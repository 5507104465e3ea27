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
import { ramp } from '../../../nodes/safety_gate/logic';

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
      { numRuns: 600, seed: SEED, examples: KEPT.map((c) => [c]) },
    );
    const k = fz.counts;
    // the mix reached both sides of every check
    expect(k.scansRefused).toBeGreaterThan(0);
    expect(k.scans - k.scansRefused).toBeGreaterThan(0);
    expect(k.odomRefused).toBeGreaterThan(0);
    expect(k.commandsRefused).toBeGreaterThan(0);
    expect(k.movingSteps).toBeGreaterThan(0);
  });

  // Found by this fuzz (seed 20261207, npm run fuzz): from +0.005 m/s toward a reverse command, one 50 ms
  // step gave -0.0467 m/s: ramp() uses the comfort braking rate (max_linear_decel_mps2 1.5) for the whole
  // step when the sign changes, so the reverse speed-up of that step exceeds max_linear_accel_mps2 (0.8) by
  // up to (decel - accel)·dt. Passes once ramp() brakes to zero and then accelerates; the fuzz harness
  // allows it meanwhile (test/fuzz/scan-gate.ts). nodes/safety_gate is not this branch's to change.
  it('reversing through zero speeds up at most at the acceleration limit', () => {
    const v = ramp(0.005, -1, 0.8, 1.5, 0.05);
    expect(Math.abs(v)).toBeLessThanOrEqual(0.8 * (0.05 - 0.005 / 1.5) + 1e-9);
  });
});
