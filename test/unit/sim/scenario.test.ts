import { describe, it, expect } from '@jest/globals';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isKizunaError, type KizunaError } from '../../../nodes/core/errors';
import { PROFILE_NAMES } from '../../../nodes/core/profiles';
import { DECISION_KINDS, REJECT_REASONS } from '../../../nodes/core/contract/schemas';
import {
  DECISION_ATTACKS,
  SCENARIO_DECISION_KINDS,
  expectedRejectReason,
  type Scenario,
  applyWorldFault,
  evaluatePass,
  faultTimeline,
  formatPath,
  loadScenario,
  parseScenario,
  parseScenarioYaml,
  scenarioWorld,
} from '../../../sim/scenario';
import { Rng } from '../../../sim/random';
import { World } from '../../../sim/world';

const SCENARIOS = join(__dirname, '../../../sim/scenarios');

function minimal(): Record<string, unknown> {
  return {
    name: 'mini',
    duration_s: 10,
    world: {
      walls: [
        {
          id: 'w',
          points: [
            [5, -5],
            [5, 5],
          ],
        },
      ],
    },
    robots: [
      { id: 'r0', profile: 'care', start: { x: 0, y: 0 } },
      { id: 'r1', profile: 'delivery', start: { x: 0, y: 2 } },
      { id: 'r2', profile: 'factory', start: { x: 0, y: 4, yaw: 0 } },
    ],
  };
}

/** The error thrown by `fn`, which must be a KZ_ERR_SCENARIO_INVALID. */
function scenarioError(fn: () => unknown): KizunaError {
  try {
    fn();
  } catch (err) {
    if (isKizunaError(err, 'KZ_ERR_SCENARIO_INVALID')) return err;
    throw err;
  }
  throw new Error('expected KZ_ERR_SCENARIO_INVALID, nothing was thrown');
}

function paths(err: KizunaError): string[] {
  return (err.context.problems as { path: string }[]).map((p) => p.path);
}

describe('scenario schema: valid files', () => {
  it('fills in defaults: seed, dt, planner, sensors, yaw', () => {
    const s = parseScenario(minimal());
    expect(s.seed).toBe(1);
    expect(s.dt_s).toBe(0.05);
    expect(s.planner).toEqual({ mode: 'reference' });
    expect(s.robots[0]!.start.yaw).toBe(0);
    expect(s.robots[0]!.lidar.beams).toBe(180);
    expect(s.world.walls[0]!.closed).toBe(false);
  });

  it('every file in sim/scenarios/ validates, and the library has the fleet scenario with one robot per profile', () => {
    const files = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(3);
    const loaded = new Map<string, Scenario>();
    for (const f of files) {
      const s = loadScenario(join(SCENARIOS, f));
      expect(`${s.name}.yaml`).toBe(f); // a file is named after its scenario
      loaded.set(s.name, s);
    }
    const fleet = loaded.get('fleet')!;
    expect(fleet.robots.map((r) => r.profile).sort()).toEqual([...PROFILE_NAMES].sort());
    for (const p of PROFILE_NAMES) {
      expect(fleet.world.stations.some((st) => st.kind === 'dock' && st.profiles?.includes(p))).toBe(true);
    }
    // The library issue 9 asks for: one per profile, the fault scenarios and the default fleet.
    expect([...loaded.keys()].sort()).toEqual(
      [
        ...PROFILE_NAMES,
        'broker-outage',
        'estop',
        'fleet',
        'forged-decision-attack',
        'local-pause',
        'low-battery-return',
        'obstacle-stop',
        'person-crossing',
        'sensor-dropout',
        'vda5050-factory',
      ].sort(),
    );
    // a VDA 5050 master control drives this one, not the planner
    expect([loaded.get('vda5050-factory')!.protocol, loaded.get('vda5050-factory')!.planner.mode]).toEqual([
      'vda5050',
      'none',
    ]);
    expect(loaded.get('fleet')!.protocol).toBe('kizuna');
    for (const p of PROFILE_NAMES) {
      const tasks = loaded.get(p)!.planner.decisions!.filter((d) => d.kind === 'perform_task');
      expect(tasks.length).toBeGreaterThan(0);
    }
    // Task arguments come out parsed by their task schema: poses get their default yaw.
    const survey = loaded.get('construction')!.planner.decisions![0]!;
    expect(survey.kind === 'perform_task' && survey.args).toEqual({
      waypoints: [
        { x: 4, y: 8, yaw: 0 },
        { x: 13, y: 8, yaw: 0 },
        { x: 13, y: 3, yaw: -1.5708 },
      ],
    });
    const attacks = loaded
      .get('forged-decision-attack')!
      .faults.map((f) => (f.kind === 'inject_decision' ? f.attack : ''));
    expect([...new Set(attacks)].sort()).toEqual([...DECISION_ATTACKS].sort());
    // Scripted decisions use the contract's decision kinds, attacks its reject reasons.
    expect([...SCENARIO_DECISION_KINDS].sort()).toEqual([...DECISION_KINDS].sort());
    expect(DECISION_ATTACKS.map(expectedRejectReason)).toEqual([...REJECT_REASONS]);
  });

  it('the adversarial safety library (safety/) validates, one file per scenario name, each with robot-caused contacts as a criterion', () => {
    const files = readdirSync(join(SCENARIOS, 'safety')).filter((f) => f.endsWith('.yaml'));
    expect(files.length).toBeGreaterThanOrEqual(13);
    for (const f of files) {
      const s = loadScenario(join(SCENARIOS, 'safety', f));
      expect(`${s.name}.yaml`).toBe(f);
      expect(s.pass.robot_caused_contacts_max).toBe(0);
    }
  });

  it('every library scenario builds a World that steps with no collision while standing still', () => {
    const all = [
      ...readdirSync(SCENARIOS).filter((x) => x.endsWith('.yaml')),
      ...readdirSync(join(SCENARIOS, 'safety'))
        .filter((x) => x.endsWith('.yaml'))
        .map((x) => join('safety', x)),
    ];
    for (const f of all) {
      const s = loadScenario(join(SCENARIOS, f));
      const w = scenarioWorld(s);
      const world = new World(w.map, w.robots, w.people, w.options);
      for (let i = 0; i < 20; i++) world.step();
      // People may walk into standing robots later; at the start nothing touches anything.
      expect({ f, collisions: world.collisions }).toEqual({ f, collisions: [] });
    }
  });

  it('turns the scenario into world inputs with profile defaults and overrides', () => {
    const data = minimal();
    (data.robots as Record<string, unknown>[])[0]!.limits = { max_linear_mps: 0.3 };
    (data.robots as Record<string, unknown>[])[0]!.footprint = { radius_m: 0.4 };
    (data.robots as Record<string, unknown>[])[1]!.lidar = { beams: 90, angle_min_rad: -1.5, angle_max_rad: 1.5 };
    const w = scenarioWorld(parseScenario(data));
    expect(w.robots[0]!.limits.maxLinearMps).toBe(0.3);
    expect(w.robots[0]!.limits.maxReverseMps).toBeCloseTo(0.1875, 12); // care default: the gate's 0.15 × 1.25
    expect(w.robots[0]!.footprint).toEqual({ kind: 'circle', radius: 0.4 });
    expect(w.robots[0]!.lidars).toEqual([
      expect.objectContaining({ topic: 'scan', frame: 'laser', mount: { x: 0.15, y: 0, yaw: 0 }, beams: 180 }),
    ]);
    expect(w.robots[0]!.lidars[0]!.angleMinRad).toBeCloseTo(-Math.PI, 12);
    expect(w.robots[1]!.lidars).toEqual([expect.objectContaining({ beams: 90, angleMinRad: -1.5, angleMaxRad: 1.5 })]);
    // The factory robot has its profile's two 270° lidars.
    expect(w.robots[2]!.footprint.kind).toBe('polygon');
    expect(w.robots[2]!.lidars.map((l) => [l.topic, l.frame, l.angleMaxRad])).toEqual([
      ['scan_front', 'laser_front', (3 * Math.PI) / 4],
      ['scan_rear', 'laser_rear', (3 * Math.PI) / 4],
    ]);
    expect(w.options).toEqual({ dtS: 0.05, seed: 1, estopCutsDrive: false });
    const shard = scenarioWorld(parseScenario(data), new Set(['r2', 'r0']));
    expect(shard.robots.map((r) => r.id)).toEqual(['r0', 'r2']);
    expect(shard.map).toEqual(w.map);
  });
});

describe('scenario schema: errors name the path to the bad field', () => {
  it('a wrong type: robots[2].start.yaw: expected number', () => {
    const data = minimal();
    (data.robots as { start: Record<string, unknown> }[])[2]!.start.yaw = 'north';
    const err = scenarioError(() => parseScenario(data, 'mini.yaml'));
    expect(err.message).toContain('robots[2].start.yaw: expected number, received string "north"');
    expect(err.context.field).toBe('robots[2].start.yaw');
    expect(err.context.entity).toBe('mini.yaml');
  });

  it('an unknown key is refused and named, at any depth', () => {
    const data = minimal();
    data.robts = [];
    (data.robots as Record<string, unknown>[])[1]!.lidar = { beams: 90, rangemax: 3 };
    const err = scenarioError(() => parseScenario(data));
    expect(paths(err)).toEqual(expect.arrayContaining(['robts', 'robots[1].lidar.rangemax']));
    expect(err.message).toContain('unknown key');
  });

  it('a missing required field, an out-of-range value and a bad enum', () => {
    const data = minimal();
    delete data.duration_s;
    (data.robots as Record<string, unknown>[])[0]!.profile = 'butler';
    (data.robots as Record<string, unknown>[])[1]!.battery = { initial_percentage: 1.5 };
    const err = scenarioError(() => parseScenario(data));
    const byPath = Object.fromEntries(
      (err.context.problems as { path: string; message: string }[]).map((p) => [p.path, p.message]),
    );
    expect(byPath.duration_s).toBe('required (expected number)');
    expect(byPath['robots[0].profile']).toMatch(/expected one of/);
    expect(byPath['robots[1].battery.initial_percentage']).toMatch(/<=1/);
  });

  it('an unknown fault kind names the kind field and the allowed kinds', () => {
    const data = {
      ...minimal(),
      faults: [
        { at_s: 1, kind: 'broker_down' },
        { at_s: 2, kind: 'meteor' },
      ],
    };
    const err = scenarioError(() => parseScenario(data));
    expect(paths(err)).toEqual(['faults[1].kind']);
    expect(err.message).toMatch(/faults\[1\]\.kind: expected one of 'broker_down' \| .*received string "meteor"/);
  });

  it('cross-field rules: references, duplicates, timing, lidar ranges, scripted decisions', () => {
    const data: Record<string, unknown> = {
      ...minimal(),
      faults: [
        { at_s: 1, kind: 'estop_press', robot: 'ghost' },
        { at_s: 99, kind: 'broker_down' },
      ],
      planner: {
        mode: 'scripted',
        decisions: [
          { at_s: 1, robot: 'r0', kind: 'navigate_to', station: 'nowhere' },
          { at_s: 1, robot: 'r1', kind: 'perform_task', task: 'water_row', args: {} },
          {
            at_s: 1,
            robot: 'r2',
            kind: 'perform_task',
            task: 'move_material',
            args: { from: { x: 1, y: 'a' }, to: { x: 2, y: 2 }, material_id: 'm', colour: 'red' },
          },
          { at_s: 1, robot: 'r0', kind: 'navigate_to' },
        ],
      },
    };
    (data.world as Record<string, unknown>).obstacles = [
      {
        id: 'w',
        points: [
          [8, 8],
          [9, 8],
          [9, 9],
        ],
      },
    ];
    (data.world as Record<string, unknown>).stations = [
      { name: 'a', kind: 'dock', pose: { x: 1, y: 1 } },
      { name: 'a', kind: 'room', pose: { x: 2, y: 1 } },
    ];
    (data.robots as Record<string, unknown>[])[2]!.lidar = { range_min_m: 5, range_max_m: 4, angle_min_rad: -1 };
    const err = scenarioError(() => parseScenario(data));
    const byPath = Object.fromEntries(
      (err.context.problems as { path: string; message: string }[]).map((p) => [p.path, p.message]),
    );
    expect(byPath['world.stations[1].name']).toBe("duplicate name 'a'");
    expect(byPath['world.obstacles[0].id']).toBe("duplicate id 'w'"); // shares a name with a wall
    expect(byPath['robots[2].lidar.range_max_m']).toBe('must be greater than range_min_m');
    expect(byPath['robots[2].lidar']).toBe('give both angle_min_rad and angle_max_rad, or neither (full circle)');
    expect(byPath['faults[0].robot']).toBe("no robot with id 'ghost'");
    expect(byPath['faults[1].at_s']).toMatch(/after the end of the run/);
    expect(byPath['planner.decisions[0].station']).toBe("no station named 'nowhere'");
    expect(byPath['planner.decisions[1].task']).toBe(
      "profile 'delivery' has no task 'water_row' (tasks: deliver_package)",
    );
    expect(byPath['planner.decisions[2].args.from.y']).toMatch(/expected number/);
    expect(byPath['planner.decisions[2].args.colour']).toBe('unknown key');
    expect(byPath['planner.decisions[3]']).toBe('navigate_to needs exactly one of station or pose');
  });

  it('fills in task argument defaults (water_row litres_per_metre, pose yaw)', () => {
    const data = {
      ...minimal(),
      robots: [{ id: 'f', profile: 'farm', start: { x: 0, y: 0 } }],
      planner: {
        mode: 'scripted',
        decisions: [
          {
            at_s: 1,
            robot: 'f',
            kind: 'perform_task',
            task: 'water_row',
            args: { row_start: { x: 1, y: 1 }, row_end: { x: 4, y: 1 } },
          },
        ],
      },
    };
    const d = parseScenario(data).planner.decisions![0]!;
    expect(d.kind === 'perform_task' && d.args).toEqual({
      row_start: { x: 1, y: 1, yaw: 0 },
      row_end: { x: 4, y: 1, yaw: 0 },
      litres_per_metre: 1,
    });
  });

  it('decisions are only allowed with mode scripted', () => {
    const data = { ...minimal(), planner: { mode: 'reference', decisions: [] } };
    expect(paths(scenarioError(() => parseScenario(data)))).toEqual(['planner.decisions']);
    const none = { ...minimal(), planner: { mode: 'scripted' } };
    expect(scenarioError(() => parseScenario(none)).message).toMatch(/needs at least one decision/);
  });

  it('a robot starting in a wall, an obstacle or another robot', () => {
    const data = minimal();
    (data.robots as Record<string, unknown>[])[0]!.start = { x: 4.9, y: 0 };
    (data.robots as Record<string, unknown>[])[2]!.start = { x: 0, y: 2.2 };
    (data.world as Record<string, unknown>).obstacles = [
      {
        id: 'box',
        points: [
          [-1, 3.5],
          [1, 3.5],
          [1, 5],
          [-1, 5],
        ],
      },
    ];
    const err = scenarioError(() => parseScenario(data));
    const msgs = (err.context.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toEqual([
      "robots[0].start: footprint touches wall 'w'",
      "robots[2].start: footprint touches robot 'r1'",
    ]);
    (data.robots as Record<string, unknown>[])[0]!.start = { x: 0, y: 0 };
    (data.robots as Record<string, unknown>[])[2]!.start = { x: 0, y: 4 };
    expect(paths(scenarioError(() => parseScenario(data)))).toEqual(['robots[2].start']);
  });

  it('a person walking through a wall or an obstacle, or standing in one', () => {
    const data = minimal();
    (data.world as Record<string, unknown>).obstacles = [
      {
        id: 'box',
        points: [
          [-3, -3],
          [-2, -3],
          [-2, -2],
          [-3, -2],
        ],
      },
    ];
    data.people = [
      {
        id: 'ghost',
        waypoints: [
          { x: 4, y: 0 },
          { x: 6, y: 0 },
        ],
      }, // through the wall at x = 5
      {
        id: 'lost',
        mode: 'loop',
        waypoints: [
          { x: -2.5, y: -2.5 },
          { x: -1, y: -1 },
        ],
      },
      {
        id: 'fine',
        mode: 'loop',
        waypoints: [
          { x: 1, y: 6 },
          { x: 3, y: 6 },
        ],
      },
    ];
    const err = scenarioError(() => parseScenario(data));
    const msgs = (err.context.problems as { path: string; message: string }[]).map((p) => `${p.path}: ${p.message}`);
    expect(msgs).toEqual([
      "people[0].waypoints[0]: the walk to the next waypoint goes through 'w'",
      "people[1].waypoints[0]: inside obstacle 'box'",
      "people[1].waypoints[0]: the walk to the next waypoint goes through 'box'",
      "people[1].waypoints[1]: the walk to the next waypoint goes through 'box'",
    ]);
  });

  it('a sensor rate faster than the world steps', () => {
    const data: Record<string, unknown> = { ...minimal(), dt_s: 0.1 };
    (data.robots as Record<string, unknown>[])[1]!.imu = { rate_hz: 50 };
    const err = scenarioError(() => parseScenario(data));
    expect(err.message).toContain('robots[1].imu.rate_hz: 50 Hz is faster than the world steps (1 / dt_s = 10 Hz)');
  });

  it('a zero-area polygon and a non-finite number', () => {
    const data = minimal();
    (data.world as Record<string, unknown>).obstacles = [
      {
        id: 'flat',
        points: [
          [0, 0],
          [1, 1],
          [2, 2],
        ],
      },
    ];
    (data.robots as Record<string, unknown>[])[0]!.start = { x: Infinity, y: 0 };
    const err = scenarioError(() => parseScenario(data));
    expect(paths(err)).toEqual(['world.obstacles[0].points', 'robots[0].start.x']);
    const far = minimal();
    (far.world as Record<string, unknown>).walls = [
      {
        id: 'w',
        points: [
          [1e308, 0],
          [-1e308, 0],
        ],
      },
    ];
    expect(paths(scenarioError(() => parseScenario(far)))).toEqual(
      expect.arrayContaining(['world.walls[0].points[0][0]', 'world.walls[0].points[1][0]']),
    );
  });

  it('formats paths like the YAML reader sees them', () => {
    expect(formatPath(['robots', 2, 'start', 'yaw'])).toBe('robots[2].start.yaw');
    expect(formatPath([])).toBe('(top level)');
    expect(formatPath(['world', 'walls', 0, 'points', 1, 0])).toBe('world.walls[0].points[1][0]');
  });
});

describe('scenario files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kizuna-scenario-'));

  it('names the line of the bad field in a YAML file', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      [
        'name: bad',
        'duration_s: 5',
        'world: {}',
        'robots:',
        '  - id: a',
        '    profile: care',
        '    start: { x: 0, y: 0 }',
        '  - id: b',
        '    profile: care',
        '    start:',
        '      x: 2',
        '      y: 0',
        '      yaw: north',
        '    colour: red',
      ].join('\n'),
    );
    const err = scenarioError(() => loadScenario(file));
    expect(err.message).toContain(`scenario ${file} is invalid: robots[1].start.yaw (line 13): expected number`);
    expect(err.message).toContain('robots[1].start.yaw (line 13)');
    expect(err.message).toContain('robots[1].colour (line 14): unknown key');
    const dup = join(dir, 'dup.yaml');
    writeFileSync(
      dup,
      [
        'name: dup',
        'duration_s: 5',
        'world:',
        '  stations:',
        '    - { name: a, kind: dock, pose: { x: 1, y: 1 } }',
        '    - { name: a, kind: room, pose: { x: 2, y: 1 } }',
        'robots: [{ id: r, profile: care, start: { x: 0, y: 0 } }]',
      ].join('\n'),
    );
    expect(scenarioError(() => loadScenario(dup)).message).toContain(
      "world.stations[1].name (line 6): duplicate name 'a'",
    );
  });

  it('reports YAML syntax errors and duplicate keys with their line', () => {
    expect(scenarioError(() => parseScenarioYaml('name: x\nrobots: [\n', 'broken.yaml')).message).toMatch(
      /scenario broken.yaml is not valid YAML \(line \d+\)/,
    );
    expect(scenarioError(() => parseScenarioYaml('name: x\nname: y\n', 'dup.yaml')).message).toMatch(
      /not valid YAML \(line 2\).*[Mm]ap keys must be unique/,
    );
    expect(scenarioError(() => parseScenarioYaml('', 'empty.yaml')).message).toContain(
      '(top level): expected object, received null',
    );
  });

  it('reports an alias without its anchor and an alias bomb as invalid YAML', () => {
    expect(scenarioError(() => parseScenarioYaml('name: *nowhere\n', 'alias.yaml')).message).toMatch(
      /^scenario alias.yaml is not valid YAML: Unresolved alias/,
    );
    const bomb = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]',
      'c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]',
    ];
    expect(scenarioError(() => parseScenarioYaml(bomb.join('\n'), 'bomb.yaml')).message).toMatch(
      /^scenario bomb.yaml expands aliases more than 100 times \(an alias bomb\?\)/,
    );
  });

  it('any mangling of a valid file is either still valid or a KZ_ERR_SCENARIO_INVALID, never another error', () => {
    const base = readFileSync(join(SCENARIOS, 'fleet.yaml'), 'utf8');
    const rng = new Rng(3);
    const alphabet = ' :-[]{}#&*!|>\'"%@`,\n\t0123456789.eE+-abcxyz_~';
    const outcomes = { valid: 0, invalid: 0 };
    for (let i = 0; i < 250; i++) {
      let t = base;
      for (let e = 0; e < 1 + Math.floor(rng.next() * 4); e++) {
        const p = Math.floor(rng.next() * t.length);
        const c = alphabet[Math.floor(rng.next() * alphabet.length)]!;
        const k = rng.next();
        if (k < 0.33) t = t.slice(0, p) + t.slice(p + 1 + Math.floor(rng.next() * 5));
        else if (k < 0.66) t = t.slice(0, p) + c + t.slice(p);
        else t = t.slice(0, p) + c + t.slice(p + 1);
      }
      try {
        parseScenarioYaml(t, 'mangled.yaml');
        outcomes.valid++;
      } catch (err) {
        expect(isKizunaError(err, 'KZ_ERR_SCENARIO_INVALID') ? 'KZ_ERR_SCENARIO_INVALID' : err).toBe(
          'KZ_ERR_SCENARIO_INVALID',
        );
        outcomes.invalid++;
      }
    }
    expect(outcomes.invalid).toBeGreaterThan(180);
  });

  it('reports a missing file and a directory clearly', () => {
    expect(scenarioError(() => loadScenario(join(dir, 'nope.yaml'))).message).toBe(
      `cannot read scenario file ${join(dir, 'nope.yaml')}: no such file`,
    );
    expect(scenarioError(() => loadScenario(dir)).message).toMatch(/is a directory/);
  });
});

describe('scenario faults and pass criteria', () => {
  it('orders faults by time and expands a timed sensor dropout into dropout and restore', () => {
    const s = parseScenario({
      ...minimal(),
      faults: [
        { at_s: 5, kind: 'estop_press', robot: 'r1' },
        { at_s: 2, kind: 'sensor_dropout', robot: 'r0', sensor: 'scan', duration_s: 4 },
        { at_s: 5, kind: 'broker_down' },
      ],
    });
    expect(faultTimeline(s).map((f) => `${f.at_s} ${f.kind}`)).toEqual([
      '2 sensor_dropout',
      '5 estop_press',
      '5 broker_down',
      '6 sensor_restore',
    ]);
  });

  it('applies world faults to the World and leaves broker, link and decision faults to the runner', () => {
    const s = parseScenario(minimal());
    const w = scenarioWorld(s);
    const world = new World(w.map, w.robots, w.people, w.options);
    expect(applyWorldFault(world, { kind: 'estop_press', at_s: 0, robot: 'r1' })).toBe(true);
    expect(world.estop('r1')).toBe(true);
    expect(applyWorldFault(world, { kind: 'battery_drop', at_s: 0, robot: 'r0', percentage: 0.1 })).toBe(true);
    expect(world.snapshot()[0]!.batteryPercentage).toBe(0.1);
    expect(applyWorldFault(world, { kind: 'sensor_dropout', at_s: 0, robot: 'r0', sensor: 'odom' })).toBe(true);
    expect(world.step().readings.find((r) => r.robotId === 'r0')?.odom).toBeUndefined();
    expect(applyWorldFault(world, { kind: 'broker_down', at_s: 0 })).toBe(false);
    expect(applyWorldFault(world, { kind: 'link_down', at_s: 0, robot: 'r0' })).toBe(false);
    expect(applyWorldFault(world, { kind: 'inject_decision', at_s: 0, robot: 'r0', attack: 'bad_signature' })).toBe(
      false,
    );
  });

  it('evaluates each criterion, and a criterion whose metric was not measured fails', () => {
    const pass = {
      no_collisions: true,
      min_clearance_m: 0.1,
      tasks_completed_at_least: 2,
      events_lost_max: 0,
      injected_decisions_rejected: true,
    };
    const good = evaluatePass(pass, {
      collisions: 0,
      minClearanceM: 0.12,
      tasksCompleted: 2,
      eventsLost: 0,
      injectedDecisions: 3,
      injectedRejected: 3,
    });
    expect(good.every((c) => c.pass)).toBe(true);
    expect(good).toHaveLength(5);
    const bad = evaluatePass(pass, {
      collisions: 1,
      minClearanceM: 0.05,
      tasksCompleted: 1,
      injectedDecisions: 3,
      injectedRejected: 2,
    });
    expect(bad.filter((c) => !c.pass).map((c) => c.criterion)).toEqual([
      'no_collisions',
      'min_clearance_m',
      'tasks_completed_at_least',
      'events_lost_max',
      'injected_decisions_rejected',
    ]);
    expect(bad.find((c) => c.criterion === 'events_lost_max')!.actual).toBe('not measured');
    expect(evaluatePass({}, {})).toEqual([]);
  });
});

describe('library scenarios in the bare world (no nodes)', () => {
  it('obstacle-stop without a safety gate: driving on hits the shelf once, and the pass criteria fail', () => {
    const s = loadScenario(join(SCENARIOS, 'obstacle-stop.yaml'));
    const w = scenarioWorld(s);
    const world = new World(w.map, w.robots, w.people, w.options);
    const first = world.step({ delivery1: { linear: 1, angular: 0 } });
    expect(first.readings[0]!.odom).toBeDefined();
    let seen = Infinity;
    for (let t = 0; t < 12; t += w.options.dtS) {
      const rep = world.step({ delivery1: { linear: 1, angular: 0 } });
      const scan = rep.readings[0]?.scans?.[0]?.scan;
      if (scan && seen === Infinity) seen = scan.ranges[Math.round(-scan.angleMin / scan.angleIncrement)]!;
    }
    // The lidar's forward beam saw the shelf face (x = 6) from near the start pose.
    expect(seen).toBeGreaterThan(5);
    expect(seen).toBeLessThan(6.2);
    expect(world.collisions).toHaveLength(1);
    expect(world.collisions[0]!.with).toEqual({ kind: 'obstacle', id: 'fallen-shelf' });
    // The delivery footprint reaches 0.4 m ahead of base_link: stopped with its front on the shelf face at x = 6.
    expect(world.snapshot()[0]!.pose.x).toBeCloseTo(5.6, 6);
    const m = world.metrics()[0]!;
    const verdict = evaluatePass(s.pass, {
      collisions: m.collisions,
      minClearanceM: m.minClearanceM,
      distanceM: m.distanceM,
    });
    expect(verdict.map((c) => [c.criterion, c.pass])).toEqual([
      ['no_collisions', false],
      ['min_clearance_m', false],
      ['distance_travelled_at_least_m', true],
    ]);
  });

  it('the fleet scenario with noise and people is reproducible for its seed', () => {
    const run = () => {
      const s = loadScenario(join(SCENARIOS, 'fleet.yaml'));
      const w = scenarioWorld(s);
      const world = new World(w.map, w.robots, w.people, w.options);
      const out: unknown[] = [];
      for (let i = 0; i < 200; i++) {
        const cmds = Object.fromEntries(
          world.robotIds.map((id, k) => [id, { linear: 0.3, angular: Math.sin(i / 20 + k) }]),
        );
        const rep = world.step(cmds);
        out.push(
          rep.readings.map((r) => [
            r.robotId,
            r.scans?.map((x) => Array.from(x.scan.ranges)),
            r.odom,
            r.imu,
            r.battery,
          ]),
        );
      }
      return { out, snap: world.snapshot(), collisions: world.collisions, people: world.peopleCircles() };
    };
    const a = run();
    expect(run()).toEqual(a);
  });
});
