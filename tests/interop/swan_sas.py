#!/usr/bin/env python3
"""swan_sas.py - strongSwan's `swanctl --list-sas --pretty` (read on stdin) as JSON.

The pretty vici dump is one item per line: "name {" opens a section, "}" closes it,
"key = value" is a value and "key = [" ... "]" a list. Prints one JSON object
{"<ike name>": {..., "child-sas": {"<child>": {...}}}} from every "list-sa event"
section. During a rekey strongSwan lists two IKE SAs of one name (the old one until
its DELETE is answered): the object keeps the ESTABLISHED one that came last, and
--all prints every IKE SA as a list of {"name": ..., "sa": {...}} instead.
"""
import json
import sys


def parse_all(lines):
    """Every IKE SA as (name, sa), in the order strongSwan listed them."""
    root = {}
    events = []
    stack = [root]
    in_list = None
    for raw in lines:
        line = raw.strip()
        if not line:
            continue
        if in_list is not None:
            if line == "]":
                in_list = None
            else:
                in_list.append(line)
            continue
        if line.endswith("{"):
            name = line[:-1].strip()
            section = {}
            if len(stack) == 1:  # one top-level section per event, never merged
                events.append((name, section))
            else:
                stack[-1].setdefault(name, section)
                section = stack[-1][name]
            stack.append(section)
        elif line == "}":
            if len(stack) > 1:
                stack.pop()
        elif " = " in line:
            key, value = line.split(" = ", 1)
            if value == "[":
                in_list = []
                stack[-1][key] = in_list
            else:
                stack[-1][key] = value
    return [(name, sa) for event, section in events if event.startswith("list-sa event")
            for name, sa in section.items()]


def parse(lines):
    out = {}
    for name, sa in parse_all(lines):
        if name not in out or sa.get("state") == "ESTABLISHED":
            out[name] = sa
    return out


if __name__ == "__main__":
    if "--all" in sys.argv[1:]:
        json.dump([{"name": n, "sa": sa} for n, sa in parse_all(sys.stdin)], sys.stdout)
    else:
        json.dump(parse(sys.stdin), sys.stdout)
    print()
