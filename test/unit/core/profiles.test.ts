import { decodeTaskArgs, encodeTaskArgs, PROFILE_NAMES, taskNames, TASKS } from '../../../nodes/core/profiles';

describe('profile tasks', () => {
  it('every profile has at least one task', () => {
    for (const p of PROFILE_NAMES) expect(taskNames(p).length).toBeGreaterThan(0);
  });

  it('round-trips task arguments through Decision.task_args', () => {
    const args = TASKS.delivery.deliver_package.parse({
      pickup: { x: 1.5, y: -2, yaw: 0.25 },
      dropoff: { x: 10, y: 4 },
      package_id: 'pkg-7',
    });
    const kv = encodeTaskArgs(args);
    expect(kv.map((e) => e.key)).toEqual(['dropoff', 'package_id', 'pickup']);
    expect(kv.find((e) => e.key === 'pickup')?.value).toBe('1.5,-2,0.25');
    expect(decodeTaskArgs('delivery', 'deliver_package', kv)).toEqual({ success: true, data: args });
  });

  it('round-trips a list of poses and a number', () => {
    const survey = {
      waypoints: [
        { x: 0, y: 0, yaw: 0 },
        { x: 3, y: 4, yaw: 1 },
      ],
    };
    expect(decodeTaskArgs('construction', 'survey_area', encodeTaskArgs(survey))).toEqual({
      success: true,
      data: survey,
    });
    const water = TASKS.farm.water_row.parse({
      row_start: { x: 0, y: 0 },
      row_end: { x: 0, y: 30 },
      litres_per_metre: 2.5,
    });
    expect(decodeTaskArgs('farm', 'water_row', encodeTaskArgs(water))).toEqual({ success: true, data: water });
  });

  it('names the bad field of malformed arguments', () => {
    const bad = decodeTaskArgs('delivery', 'deliver_package', [
      { key: 'pickup', value: '1,nan,0' },
      { key: 'dropoff', value: '1,2,0' },
      { key: 'package_id', value: 'p' },
    ]);
    expect(bad).toEqual({ success: false, error: expect.stringMatching(/^pickup\.y: /) });
    expect(decodeTaskArgs('farm', 'deliver_package', [])).toEqual({
      success: false,
      error: "profile 'farm' has no task 'deliver_package'",
    });
    expect(decodeTaskArgs('care', 'accompany', [{ key: 'person_id', value: 'p1' }])).toEqual({
      success: false,
      error: expect.stringMatching(/^destination: /),
    });
  });
});
