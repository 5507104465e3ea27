import { SAFETY_REASONS } from '../../../nodes/core/contract';
import { MESSAGE_CONSTANTS } from '../../../nodes/core/interfaces/generated';

describe('contract safety reasons', () => {
  it('name every kizuna_msgs/SafetyState REASON_* constant at its value', () => {
    const constants = MESSAGE_CONSTANTS['kizuna_msgs/msg/SafetyState'] as Record<string, unknown>;
    const reasons = Object.entries(constants).filter(([k]) => k.startsWith('REASON_'));
    expect(reasons.length).toBe(SAFETY_REASONS.length);
    for (const [name, value] of reasons) {
      expect(SAFETY_REASONS[value as number]).toBe(name.slice('REASON_'.length).toLowerCase());
    }
  });
});
