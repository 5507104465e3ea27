import { describe, expect, it } from '@jest/globals';
import * as path from 'node:path';
import { loadInterfaces, MsgGenError, OWN_PACKAGE } from '../../../scripts/lib/msggen';
import { buildInterfaceSet } from '../../../scripts/lib/msggen/model';
import type { SourceFile } from '../../../scripts/lib/msggen/sources';

const root = path.resolve(__dirname, '../../..');

function source(pkg: string, kind: SourceFile['kind'], name: string, text: string): SourceFile {
  return { pkg, kind, name, path: `test/${pkg}/${kind}/${name}.${kind}`, text };
}

/** The smallest standard set an action needs, so error tests stay independent of the inputs. */
const BASE: SourceFile[] = [
  source('builtin_interfaces', 'msg', 'Time', 'int32 sec\nuint32 nanosec\n'),
  source('unique_identifier_msgs', 'msg', 'UUID', 'uint8[16] uuid\n'),
  source('std_msgs', 'msg', 'Header', 'builtin_interfaces/Time stamp\nstring frame_id\n'),
];

function errorOf(sources: SourceFile[]): MsgGenError {
  try {
    buildInterfaceSet(sources);
  } catch (err) {
    if (err instanceof MsgGenError) return err;
    throw err;
  }
  throw new Error('expected a MsgGenError');
}

describe('interface resolution', () => {
  const set = loadInterfaces(root);
  const own = [...set.messages.values()].filter((e) => e.def.name.startsWith(`${OWN_PACKAGE}/`));

  it('parses every kizuna_msgs file', () => {
    expect(own.map((e) => e.def.name)).toEqual(
      expect.arrayContaining(
        ['WorldSummary', 'Decision', 'DecisionStatus', 'SafetyState', 'BridgeStatus'].map(
          (n) => `${OWN_PACKAGE}/msg/${n}`,
        ),
      ),
    );
    for (const entry of own) expect(entry.origin).toMatch(/^msgs\/msg\/\w+\.msg$/);
  });

  it('resolves every type a kizuna_msgs message refers to', () => {
    for (const entry of own) {
      for (const field of entry.def.fields) {
        if (field.isComplex)
          expect({ field: `${entry.def.name}.${field.name}`, known: set.messages.has(field.type) }).toEqual({
            field: `${entry.def.name}.${field.name}`,
            known: true,
          });
      }
    }
  });

  it('gives every kizuna_msgs field a comment (units live there)', () => {
    for (const entry of own) {
      for (const field of entry.def.fields) {
        expect({
          field: `${entry.def.name}.${field.name}`,
          documented: (entry.docs.fields[field.name] ?? []).length > 0,
        }).toEqual({
          field: `${entry.def.name}.${field.name}`,
          documented: true,
        });
      }
    }
  });

  it('keeps byte and char as written and Time as a full type name', () => {
    expect(set.messages.get('std_msgs/msg/Byte')?.def.fields[0]?.type).toBe('byte');
    expect(set.messages.get('std_msgs/msg/Char')?.def.fields[0]?.type).toBe('char');
    expect(set.messages.get('std_msgs/msg/Header')?.def.fields[0]).toEqual({
      name: 'stamp',
      type: 'builtin_interfaces/msg/Time',
      isComplex: true,
      isArray: false,
    });
  });

  it('splits services and actions into their parts and adds the rosidl-derived action types', () => {
    expect(set.services.get('std_srvs/srv/Trigger')).toEqual({
      name: 'std_srvs/srv/Trigger',
      request: 'std_srvs/srv/Trigger_Request',
      response: 'std_srvs/srv/Trigger_Response',
    });
    expect(set.messages.get('std_srvs/srv/Trigger_Request')?.def.fields).toEqual([]);
    expect(set.messages.get('nav2_msgs/action/NavigateToPose_Result')?.def.fields.map((f) => f.name)).toEqual([
      'error_code',
      'error_msg',
    ]);
    expect(set.messages.get('nav2_msgs/action/NavigateToPose_SendGoal_Request')?.def.fields.map((f) => f.type)).toEqual(
      ['unique_identifier_msgs/msg/UUID', 'nav2_msgs/action/NavigateToPose_Goal'],
    );
    expect(set.actionServices.has('nav2_msgs/action/NavigateToPose_GetResult')).toBe(true);
    expect(set.services.has('nav2_msgs/action/NavigateToPose_GetResult')).toBe(false);
  });

  it('resolves an unqualified type in a .srv to a message of the same package', () => {
    expect(set.messages.get('action_msgs/srv/CancelGoal_Request')?.def.fields[0]?.type).toBe(
      'action_msgs/msg/GoalInfo',
    );
  });

  it('names file, line and field when a type does not resolve', () => {
    const err = errorOf([...BASE, source('demo_msgs', 'msg', 'Thing', 'float64 x\ngeometry_msgs/Pose pose\n')]);
    expect(err.message).toContain('test/demo_msgs/msg/Thing.msg:2');
    expect(err.message).toContain("field 'pose' of demo_msgs/msg/Thing");
    expect(err.message).toContain('geometry_msgs/msg/Pose');
  });

  it('treats a bare Header as a type of the same package, as rosidl does, and says how to fix it', () => {
    const err = errorOf([...BASE, source('demo_msgs', 'msg', 'Stamped', 'Header header\n')]);
    expect(err.message).toContain('demo_msgs/msg/Header');
    expect(err.message).toContain("write 'std_msgs/Header'");
  });

  it('rejects a malformed line, a wrong number of sections and duplicate names', () => {
    expect(errorOf([...BASE, source('demo_msgs', 'msg', 'Bad', 'float64 x\nfloat64\n')]).message).toContain(
      'Bad.msg:2',
    );
    expect(errorOf([...BASE, source('demo_msgs', 'srv', 'Bad', 'bool a\n')]).message).toContain(
      'expected 2 section(s)',
    );
    expect(errorOf([...BASE, source('demo_msgs', 'msg', 'Dup', 'int32 x\nint32 x\n')]).message).toContain(
      "'x' is already defined on line 1",
    );
  });

  it('attaches comments above or beside a field to that field, and a headed block to nothing', () => {
    const set2 = buildInterfaceSet([
      ...BASE,
      source(
        'demo_msgs',
        'msg',
        'Doc',
        '# The message.\n\n# Heading\n\n# about a\nint32 a  # beside a\nint32 b\n  # more about b\n',
      ),
    ]);
    const docs = set2.messages.get('demo_msgs/msg/Doc')?.docs;
    expect(docs?.summary).toEqual(['The message.']);
    expect(docs?.fields).toEqual({ a: ['about a', 'beside a'], b: ['more about b'] });
  });
});
