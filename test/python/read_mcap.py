"""Reads an MCAP file with readers kizuna did not write, and prints every message decoded, field by field.

Usage: read_mcap.py FILE [--rclpy]

The container is read with the `mcap` package; each ros2msg/cdr message is decoded twice, by
mcap-ros2-support (its DecoderFactory) and by rosbags (its type system compiled from the file's own
schema text, deserialize_cdr). With --rclpy (where ROS 2 is sourced) it is also decoded by rclpy's
deserialize_message into the installed ROS 2 type. JSON-schema messages are parsed as JSON. Output: one
JSON object per message on stdout (`i`, `topic`, `schema`, `t`, then one entry per reader), and a last
line `{"done": N, "opened_by_rosbags_reader": true or why not, "bag_messages": M, "bag_connections": [...],
"bag_mismatches": [...]}`: rosbags' AnyReader opening the file as a rosbag2 and deserializing its M
messages; per connection its topic, type and messages; and the messages whose AnyReader decode differs
from the rosbags decode above (at most 5 listed, `bag_mismatch_count` counts all). Numbers JSON cannot hold
are written as strings: NaN, +-Infinity, integers beyond 2^53.
"""

import json
import math
import sys
from dataclasses import fields, is_dataclass
from pathlib import Path

from mcap.reader import make_reader
from mcap_ros2.decoder import DecoderFactory
from rosbags.typesys import Stores, get_types_from_msg, get_typestore

SEPARATOR = '=' * 80


def plain(x):
    """A decoded value as JSON-safe plain data (dicts by field name, lists, numbers, strings)."""
    if x is None or isinstance(x, (bool, str)):
        return x
    if isinstance(x, int):
        return x if abs(x) <= 2**53 else str(x)
    if isinstance(x, float):
        return x if math.isfinite(x) else str(x)
    if isinstance(x, (bytes, bytearray)):
        return list(x)
    if hasattr(x, 'tolist') and not isinstance(x, (list, tuple)):
        return plain(x.tolist())
    if isinstance(x, (list, tuple)):
        return [plain(v) for v in x]
    if isinstance(x, dict):
        return {k: plain(v) for k, v in x.items()}
    if is_dataclass(x):
        # constants (upper case, as ROS 2 requires of them and forbids of fields) are not fields
        return {
            f.name: plain(getattr(x, f.name))
            for f in fields(x)
            if not f.name.startswith('__') and not f.name.isupper()
        }
    slots = getattr(x, '__slots__', None)
    if slots:
        names = [s for s in slots if not s.startswith('_')]
        if not names and hasattr(x, 'get_fields_and_field_types'):
            names = list(x.get_fields_and_field_types().keys())
        if not names:
            names = [s.lstrip('_') for s in slots if s != '_check_fields']
        return {n: plain(getattr(x, n)) for n in names}
    raise TypeError(f'cannot make {type(x).__name__} plain')


def full_name(name):
    """pkg/Type -> pkg/msg/Type (rosbag2's MSG: sections use the short form)."""
    parts = name.split('/')
    return name if len(parts) == 3 else f'{parts[0]}/msg/{parts[1]}'


def rosbags_types(schema_name, text):
    """Every type of a rosbag2-style ros2msg schema (root, then `MSG: pkg/Type` sections) for rosbags."""
    types = {}
    sections = [s.strip('\n') for s in text.split(SEPARATOR)]
    types.update(get_types_from_msg(sections[0], schema_name))
    for sec in sections[1:]:
        head, _, body = sec.partition('\n')
        assert head.startswith('MSG: '), head
        types.update(get_types_from_msg(body, full_name(head[5:].strip())))
    return types


def main():
    path = sys.argv[1]
    use_rclpy = '--rclpy' in sys.argv[2:]
    if use_rclpy:
        from rclpy.serialization import deserialize_message
        from rosidl_runtime_py.utilities import get_message
    typestore = get_typestore(Stores.EMPTY)
    registered = set()
    decoders = {}
    factory = DecoderFactory()
    ros_classes = {}
    n = 0
    # the rosbags decode of each message by (log time, topic, k-th of that time and topic)
    by_key = {}
    with open(path, 'rb') as f:
        reader = make_reader(f)
        for schema, channel, message in reader.iter_messages(log_time_order=True):
            out = {'i': n, 'topic': channel.topic, 'schema': schema.name, 't': str(message.log_time)}
            if schema.encoding == 'ros2msg':
                dec = decoders.get(schema.id)
                if dec is None:
                    dec = decoders[schema.id] = factory.decoder_for(channel.message_encoding, schema)
                out['mcap_ros2'] = plain(dec(message.data))
                if schema.name not in registered:
                    typestore.register(rosbags_types(schema.name, schema.data.decode()))
                    registered.add(schema.name)
                out['rosbags'] = plain(typestore.deserialize_cdr(message.data, schema.name))
                k = (message.log_time, channel.topic)
                by_key.setdefault(k, []).append(out['rosbags'])
                if use_rclpy:
                    cls = ros_classes.get(schema.name)
                    if cls is None:
                        try:
                            cls = ros_classes[schema.name] = get_message(schema.name)
                        except (AttributeError, ModuleNotFoundError, ValueError) as e:
                            cls = ros_classes[schema.name] = str(e)
                    if isinstance(cls, str):
                        out['rclpy_missing'] = cls
                    else:
                        out['rclpy'] = plain(deserialize_message(message.data, cls))
            elif schema.encoding == 'jsonschema':
                out['json'] = json.loads(message.data)
            print(json.dumps(out, allow_nan=False))
            n += 1
    # rosbags' own bag reader on the same file: opened as a rosbag2, every message deserialized
    opened = True
    bag_messages = 0
    connections = {}
    mismatches = []
    mismatch_count = 0
    try:
        from rosbags.highlevel import AnyReader

        with AnyReader([Path(path)]) as bag:
            for conn in bag.connections:
                connections[conn.id] = {'topic': conn.topic, 'msgtype': conn.msgtype, 'messages': 0}
            for conn, t, raw in bag.messages():
                decoded = plain(bag.deserialize(raw, conn.msgtype))
                bag_messages += 1
                connections[conn.id]['messages'] += 1
                k = (t, conn.topic)
                # several messages of one time and topic: readers may order them differently
                if decoded not in by_key.get(k, []):
                    mismatch_count += 1
                    if len(mismatches) < 5:
                        mismatches.append({'topic': conn.topic, 't': str(t), 'bag': decoded})
    except Exception as e:  # noqa: BLE001 - reported, not hidden
        opened = f'{type(e).__name__}: {e}'
    print(json.dumps({
        'done': n,
        'opened_by_rosbags_reader': opened,
        'bag_messages': bag_messages,
        'bag_connections': list(connections.values()),
        'bag_mismatches': mismatches,
        'bag_mismatch_count': mismatch_count,
    }))


if __name__ == '__main__':
    main()
