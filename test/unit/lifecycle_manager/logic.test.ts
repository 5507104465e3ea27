import { describe, expect, it } from '@jest/globals';
import { BondWatch, baseName, cannotStart, planSteps } from '../../../nodes/lifecycle_manager/logic';

const order = ['safety_gate', 'perception', 'executive'];
const all = (s: 'unconfigured' | 'inactive' | 'active') => Object.fromEntries(order.map((n) => [n, s]));
const show = (steps: Array<{ node: string; transition: string }>) => steps.map((s) => `${s.transition} ${s.node}`);

describe('lifecycle_manager plans', () => {
  it('starts up by configuring every node in order, then activating every node in order', () => {
    expect(show(planSteps('startup', order, all('unconfigured')))).toEqual([
      'configure safety_gate',
      'configure perception',
      'configure executive',
      'activate safety_gate',
      'activate perception',
      'activate executive',
    ]);
  });

  it('brings the stack down in reverse order: the safety gate is the last to deactivate', () => {
    expect(show(planSteps('reset', order, all('active')))).toEqual([
      'deactivate executive',
      'deactivate perception',
      'deactivate safety_gate',
      'cleanup executive',
      'cleanup perception',
      'cleanup safety_gate',
    ]);
    expect(show(planSteps('shutdown', order, all('inactive')))).toEqual([
      'cleanup executive',
      'cleanup perception',
      'cleanup safety_gate',
      'shutdown executive',
      'shutdown perception',
      'shutdown safety_gate',
    ]);
  });

  it('skips nodes already where a step would take them, and nodes that do not answer', () => {
    expect(
      show(planSteps('startup', order, { safety_gate: 'active', perception: 'inactive', executive: 'unconfigured' })),
    ).toEqual(['configure executive', 'activate perception', 'activate executive']);
    expect(show(planSteps('reset', order, { safety_gate: 'active', executive: 'active' }))).toEqual([
      'deactivate executive',
      'deactivate safety_gate',
      'cleanup executive',
      'cleanup safety_gate',
    ]);
    expect(show(planSteps('pause', order, all('active')))).toHaveLength(3);
    expect(show(planSteps('resume', order, all('inactive')))).toEqual([
      'activate safety_gate',
      'activate perception',
      'activate executive',
    ]);
  });
});

describe('lifecycle_manager bond watch', () => {
  it('reports a node silent for longer than the timeout, and only once armed', () => {
    const bond = new BondWatch(4);
    bond.beat('perception', 0);
    expect(bond.expired(100)).toEqual([]);
    bond.arm(['/robot/safety_gate', 'perception'], 10);
    bond.beat('perception', 13);
    bond.beat('stranger', 13);
    expect(bond.expired(14)).toEqual([]);
    expect(bond.expired(14.5)).toEqual([{ node: 'safety_gate', silentSec: 4.5 }]);
    bond.disarm();
    expect(bond.expired(100)).toEqual([]);
    expect(baseName('/robot/safety_gate')).toBe('safety_gate');
  });
});

describe('lifecycle_manager startup check', () => {
  it('names the nodes startup cannot bring up: silent or finalized', () => {
    expect(cannotStart(order, { safety_gate: 'active', perception: 'finalized' })).toEqual(['perception', 'executive']);
  });
});
