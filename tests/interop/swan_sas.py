#!/usr/bin/env python3
"""swan_sas.py - strongSwan's `swanctl --list-sas --pretty` (read on stdin) as JSON.

The pretty vici dump is one item per line: "name {" opens a section, "}" closes it,
"key = value" is a value and "key = [" ... "]" a list. Prints one JSON object
{"<ike name>": {..., "child-sas": {"<child>": {...}}}} merged from every
"list-sa event" section.
"""
import json
import sys


def parse(lines):
    root = {}
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
            stack[-1].setdefault(name, section)
            stack.append(stack[-1][name])
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
    out = {}
    for name, section in root.items():
        if name.startswith("list-sa event"):
            out.update(section)
    return out


if __name__ == "__main__":
    json.dump(parse(sys.stdin), sys.stdout)
    print()
